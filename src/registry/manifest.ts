// Reading manifests as a pull would: only the four media types docker/containerd pull, with
// `unknown/unknown` index entries (build attestations) left out of the runnable platforms.
import type { Platform } from './outcome.js'

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json'
} as const

// Always the full list: without it distribution 2.8 answers 404 for OCI content and converts
// Docker schema 2 to schema 1, which has another digest.
export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(
  ', '
)

const INDEX_TYPES: readonly string[] = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.dockerList]
const IMAGE_TYPES: readonly string[] = [MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerManifest]
const CONFIG_TYPES: readonly string[] = ['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']

export class InvalidManifestError extends Error {
  constructor(readonly problem: string) {
    super(problem)
    this.name = 'InvalidManifestError'
  }
}

export interface Descriptor {
  mediaType?: string
  digest: string
  size: number
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; platforms: Platform[]; size: number }
  | { kind: 'image'; mediaType: string; config: Descriptor; size: number }

/** `application/json; charset=utf-8` → `application/json`. */
export function bareMediaType(value: string | undefined): string | undefined {
  const type = value?.split(';')[0]?.trim().toLowerCase()
  return type ? type : undefined
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function descriptor(value: unknown, where: string): Descriptor {
  if (!isObject(value) || typeof value.digest !== 'string' || !Number.isSafeInteger(value.size) || (value.size as number) < 0) {
    throw new InvalidManifestError(`its manifest has a malformed ${where} descriptor`)
  }
  return {
    digest: value.digest,
    size: value.size as number,
    ...(typeof value.mediaType === 'string' ? { mediaType: value.mediaType } : {})
  }
}

function platformOf(value: unknown): Platform | undefined {
  if (!isObject(value) || typeof value.os !== 'string' || typeof value.architecture !== 'string') return undefined
  if (value.os === 'unknown' && value.architecture === 'unknown') return undefined
  const platform: Platform = { os: value.os, architecture: value.architecture }
  if (typeof value.variant === 'string' && value.variant !== '') platform.variant = value.variant
  return platform
}

// Values of a manifest end up in PostgreSQL (platforms, size, media types in failure reasons): a NUL
// or a size a bigint cannot hold would make the check's outcome unrecordable, and the check would
// run again and again. No image a runtime pulls has either.
const MAX_SIZE = Number.MAX_SAFE_INTEGER

function parseJson(body: Buffer, what: string): Json {
  let doc: unknown
  let nul = false
  const noticeNul = (_key: string, value: unknown) => {
    if (typeof value === 'string' && value.includes('\u0000')) nul = true
    return value
  }
  try {
    doc = JSON.parse(body.toString('utf8'), noticeNul)
  } catch {
    throw new InvalidManifestError(`its ${what} is not valid JSON`)
  }
  if (nul) throw new InvalidManifestError(`its ${what} contains a NUL character`)
  if (!isObject(doc)) throw new InvalidManifestError(`its ${what} is not a JSON object`)
  return doc
}

export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  const doc = parseJson(body, 'manifest')
  if (doc.schemaVersion !== 2)
    throw new InvalidManifestError('its manifest is not schema version 2 (schema 1 cannot be pulled by current clients)')
  // Static-file registries may answer application/json or octet-stream; the body then decides.
  const header = bareMediaType(contentType)
  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : header
  let mediaType = declared
  if (declared === undefined || declared === 'application/json' || declared === 'application/octet-stream') {
    mediaType = Array.isArray(doc.manifests) ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest
  }
  if (mediaType !== undefined && INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new InvalidManifestError('its index has no manifests list')
    const entries = doc.manifests.map((entry: unknown) => ({ descriptor: descriptor(entry, 'index entry'), entry }))
    const platforms = entries.flatMap(({ entry }) => {
      const platform = isObject(entry) ? platformOf(entry.platform) : undefined
      return platform ? [platform] : []
    })
    if (platforms.length === 0) throw new InvalidManifestError('its index lists no runnable platform')
    const size = entries.reduce((sum, { descriptor: d }) => sum + d.size, 0)
    if (size > MAX_SIZE) throw new InvalidManifestError('its index entries add up to an impossible size')
    return { kind: 'index', mediaType, platforms, size }
  }
  if (mediaType !== undefined && IMAGE_TYPES.includes(mediaType)) {
    const config = descriptor(doc.config, 'config')
    if (config.mediaType !== undefined && !CONFIG_TYPES.includes(config.mediaType)) {
      throw new InvalidManifestError(`it is an artifact (config type ${config.mediaType}), not a container image`)
    }
    if (!Array.isArray(doc.layers)) throw new InvalidManifestError('its manifest has no layers list')
    const layers = doc.layers.map((layer: unknown) => descriptor(layer, 'layer'))
    const size = layers.reduce((sum, l) => sum + l.size, config.size)
    if (size > MAX_SIZE) throw new InvalidManifestError('its layers add up to an impossible size')
    return { kind: 'image', mediaType, config, size }
  }
  throw new InvalidManifestError(`its manifest media type ${mediaType ?? '(none)'} is not one a container runtime pulls`)
}

/** The platform of a single-platform image lives in its config blob, not in the manifest. */
export function platformFromConfig(body: Buffer): Platform {
  const platform = platformOf(parseJson(body, 'image config'))
  if (platform === undefined) throw new InvalidManifestError('its image config names no os/architecture')
  return platform
}
