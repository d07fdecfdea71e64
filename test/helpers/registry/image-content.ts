/**
 * Builds image content in memory: a random gzip layer (so every push has a distinct digest), an
 * image config, and OCI / Docker schema 2 manifests, indexes and manifest lists, with each blob's
 * digest and size, ready for upload.
 */
import { createHash, randomBytes } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { tarArchive } from './tar.js'

export interface RigPlatform {
  os: string
  architecture: string
  variant?: string
}

export interface Content {
  mediaType: string
  digest: string
  size: number
  data: Buffer
}

export interface BuiltManifest extends Content {
  blobs: Content[]
  platform: RigPlatform
  annotations?: Record<string, string>
}

export type ManifestFormat = 'oci' | 'docker'

export const RIG_MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  inToto: 'application/vnd.in-toto+json'
} as const

export const sha256 = (data: Buffer): string => `sha256:${createHash('sha256').update(data).digest('hex')}`

export function content(mediaType: string, data: Buffer): Content {
  return { mediaType, digest: sha256(data), size: data.length, data }
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))
const descriptor = ({ mediaType, digest, size }: Content): object => ({ mediaType, digest, size })

export function buildImageManifest(format: ManifestFormat, platform: RigPlatform): BuiltManifest {
  const tar = tarArchive([{ name: `rig/${randomBytes(6).toString('hex')}.txt`, content: randomBytes(64) }])
  const layer = content(format === 'oci' ? RIG_MEDIA_TYPES.ociLayer : RIG_MEDIA_TYPES.dockerLayer, gzipSync(tar))
  const config = content(
    format === 'oci' ? RIG_MEDIA_TYPES.ociConfig : RIG_MEDIA_TYPES.dockerConfig,
    json({
      ...platform,
      created: new Date().toISOString(),
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: [sha256(tar)] }
    })
  )
  const mediaType = format === 'oci' ? RIG_MEDIA_TYPES.ociManifest : RIG_MEDIA_TYPES.dockerManifest
  const manifest = json({ schemaVersion: 2, mediaType, config: descriptor(config), layers: [descriptor(layer)] })
  return { ...content(mediaType, manifest), blobs: [config, layer], platform }
}

/** A BuildKit-style attestation manifest, listed in an index as `unknown/unknown`. */
export function buildAttestation(subject: BuiltManifest): BuiltManifest {
  const statement = content(RIG_MEDIA_TYPES.inToto, json({ _type: 'https://in-toto.io/Statement/v0.1', subject: [] }))
  const config = content(
    RIG_MEDIA_TYPES.ociConfig,
    json({ architecture: 'unknown', os: 'unknown', rootfs: { type: 'layers', diff_ids: [] } })
  )
  const manifest = json({
    schemaVersion: 2,
    mediaType: RIG_MEDIA_TYPES.ociManifest,
    config: descriptor(config),
    layers: [descriptor(statement)]
  })
  return {
    ...content(RIG_MEDIA_TYPES.ociManifest, manifest),
    blobs: [config, statement],
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: { 'vnd.docker.reference.digest': subject.digest, 'vnd.docker.reference.type': 'attestation-manifest' }
  }
}

export function buildIndex(format: ManifestFormat, children: BuiltManifest[]): Content {
  const mediaType = format === 'oci' ? RIG_MEDIA_TYPES.ociIndex : RIG_MEDIA_TYPES.dockerList
  return content(
    mediaType,
    json({
      schemaVersion: 2,
      mediaType,
      manifests: children.map((child) => ({
        ...descriptor(child),
        platform: child.platform,
        ...(child.annotations ? { annotations: child.annotations } : {})
      }))
    })
  )
}
