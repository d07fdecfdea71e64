/**
 * Manifest operations on a rig registry without auth, through the registry API: read a manifest's
 * exact bytes, put them back (under a tag or by digest), delete a manifest by digest (the rig's
 * registries have deletes enabled). Deleting by digest also drops the tags that pointed at it.
 */
import type { RigRegistry } from './start-registry.js'

export interface StoredManifest {
  digest: string
  mediaType: string
  data: Buffer
}

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ')

function anonymous(registry: RigRegistry): void {
  if (registry.auth !== 'none') throw new Error('manifest-ops works on registries without auth (started with auth: none)')
}

export async function readManifest(registry: RigRegistry, repository: string, reference: string): Promise<StoredManifest> {
  anonymous(registry)
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, { headers: { accept: ACCEPT } })
  if (res.status !== 200) throw new Error(`reading ${repository}:${reference}: HTTP ${res.status} ${await res.text()}`)
  return {
    digest: res.headers.get('docker-content-digest') ?? '',
    mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(),
    data: Buffer.from(await res.arrayBuffer())
  }
}

/** Puts the manifest's exact bytes under `reference` (a tag, or its digest); its blobs must still be there. */
export async function putManifest(registry: RigRegistry, repository: string, reference: string, manifest: StoredManifest): Promise<void> {
  anonymous(registry)
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { 'content-type': manifest.mediaType },
    body: manifest.data
  })
  if (res.status !== 201) throw new Error(`putting ${repository}:${reference}: HTTP ${res.status} ${await res.text()}`)
  const stored = res.headers.get('docker-content-digest')
  if (stored !== manifest.digest) throw new Error(`registry stored ${stored ?? 'no digest'}, expected ${manifest.digest}`)
}

export async function deleteManifest(registry: RigRegistry, repository: string, digest: string): Promise<void> {
  anonymous(registry)
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' })
  if (res.status !== 202) throw new Error(`deleting ${repository}@${digest}: HTTP ${res.status} ${await res.text()}`)
}
