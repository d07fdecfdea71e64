/**
 * Pushes freshly built test images to a rig registry through the registry API itself (blob upload
 * POST → PUT, then manifests, children before the index), authenticating as the registry needs.
 * Returns what a correct pullability check must report: digest, media type, platforms, size.
 */
import { TOKEN_SERVICE, type RigRegistry } from './start-registry.js'
import type { RigUser } from './token-server.js'
import { buildAttestation, buildImageManifest, buildIndex, type BuiltManifest, type Content, type RigPlatform } from './image-content.js'

export type ImageKind = 'oci-image' | 'oci-index' | 'docker-v2' | 'docker-list'

export interface PushImageOptions {
  repository: string
  tag: string
  kind: ImageKind
  /** Defaults to the registry's first user when it needs auth. */
  credential?: RigUser
}

export interface PushedImage {
  digest: string
  mediaType: string
  /** Runnable platforms, attestation entries excluded. */
  platforms: RigPlatform[]
  /** config + layers for an image; sum of `manifests[].size` for an index or list. */
  size: number
  /** Digests of the child manifests of an index or list, in index order. */
  children: string[]
}

const AMD64: RigPlatform = { os: 'linux', architecture: 'amd64' }
const ARM64: RigPlatform = { os: 'linux', architecture: 'arm64', variant: 'v8' }

const basic = (user: RigUser): string => `Basic ${Buffer.from(`${user.username}:${user.password}`).toString('base64')}`

/** The Authorization header for writing to `repository` (token auth asks for `actions`). */
export async function authorization(
  registry: RigRegistry,
  repository: string,
  credential: RigUser | undefined,
  actions = 'pull,push'
): Promise<string | undefined> {
  const user = credential ?? registry.users[0]
  if (registry.auth === 'none' || user === undefined) return undefined
  if (registry.auth === 'basic' || registry.tokenServer === undefined) return basic(user)
  const url = new URL(registry.tokenServer.realm)
  url.searchParams.set('service', TOKEN_SERVICE)
  url.searchParams.set('scope', `repository:${repository}:${actions}`)
  const res = await fetch(url, { headers: { authorization: basic(user) } })
  if (!res.ok) throw new Error(`token server refused the push token: HTTP ${res.status}`)
  return `Bearer ${((await res.json()) as { token: string }).token}`
}

export async function expectStatus(res: Response, status: number, what: string): Promise<void> {
  if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${await res.text()}`)
}

export async function uploadBlob(base: string, repository: string, blob: Content, headers: Record<string, string>): Promise<void> {
  const started = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers })
  await expectStatus(started, 202, `starting upload of ${blob.digest}`)
  const target = new URL(started.headers.get('location') ?? '', base)
  target.searchParams.set('digest', blob.digest)
  const put = await fetch(target, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream' },
    body: blob.data
  })
  await expectStatus(put, 201, `uploading ${blob.digest}`)
}

async function putManifest(
  base: string,
  repository: string,
  reference: string,
  manifest: Content,
  headers: Record<string, string>
): Promise<void> {
  const res = await fetch(`${base}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': manifest.mediaType },
    body: manifest.data
  })
  await expectStatus(res, 201, `putting manifest ${repository}:${reference}`)
  const stored = res.headers.get('docker-content-digest')
  if (stored !== manifest.digest) throw new Error(`registry stored ${stored ?? 'no digest'}, expected ${manifest.digest}`)
}

export async function pushImage(registry: RigRegistry, options: PushImageOptions): Promise<PushedImage> {
  const auth = await authorization(registry, options.repository, options.credential)
  const headers: Record<string, string> = auth === undefined ? {} : { authorization: auth }
  const push = async (manifest: BuiltManifest, reference: string): Promise<void> => {
    for (const blob of manifest.blobs) await uploadBlob(registry.url, options.repository, blob, headers)
    await putManifest(registry.url, options.repository, reference, manifest, headers)
  }

  if (options.kind === 'oci-image' || options.kind === 'docker-v2') {
    const image = buildImageManifest(options.kind === 'oci-image' ? 'oci' : 'docker', AMD64)
    await push(image, options.tag)
    const size = image.blobs.reduce((sum, blob) => sum + blob.size, 0)
    return { digest: image.digest, mediaType: image.mediaType, platforms: [AMD64], size, children: [] }
  }
  const format = options.kind === 'oci-index' ? 'oci' : 'docker'
  const images = [buildImageManifest(format, AMD64), buildImageManifest(format, ARM64)]
  const children = format === 'oci' && images[0] !== undefined ? [...images, buildAttestation(images[0])] : images
  for (const child of children) await push(child, child.digest)
  const index = buildIndex(format, children)
  await putManifest(registry.url, options.repository, options.tag, index, headers)
  return {
    digest: index.digest,
    mediaType: index.mediaType,
    platforms: [AMD64, ARM64],
    size: children.reduce((sum, child) => sum + child.size, 0),
    children: children.map((child) => child.digest)
  }
}
