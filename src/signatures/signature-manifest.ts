// Reading the two registry documents that lead to signatures: the referrers index (OCI 1.1) and the
// signature manifest cosign pushes, whose layers are payloads carrying the signature as an annotation.
import { SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js'

export const COSIGN_SIGNATURE_ARTIFACT_TYPE = 'application/vnd.dev.cosign.artifact.sig.v1+json'
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/

export interface PayloadLayer {
  digest: string
  size: number
  signature: string | undefined
}

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

function parseObject(body: Buffer): Json | undefined {
  try {
    const doc: unknown = JSON.parse(body.toString('utf8'))
    return isObject(doc) ? doc : undefined
  } catch {
    return undefined
  }
}

/**
 * The digests of the cosign signature manifests a referrers answer lists; undefined when the answer is
 * not an image index, which means the registry has no referrers API (some answer 200 with HTML).
 */
export function readReferrers(body: Buffer): string[] | undefined {
  const doc = parseObject(body)
  if (doc === undefined || !Array.isArray(doc.manifests)) return undefined
  if (doc.mediaType !== undefined && doc.mediaType !== OCI_INDEX) return undefined
  // A registry may ignore the artifactType filter, so it is applied again here.
  return doc.manifests.flatMap((entry: unknown) =>
    isObject(entry) &&
    entry.artifactType === COSIGN_SIGNATURE_ARTIFACT_TYPE &&
    typeof entry.digest === 'string' &&
    DIGEST.test(entry.digest)
      ? [entry.digest]
      : []
  )
}

/** The simple-signing layers of a signature manifest; a problem sentence when it is not one. */
export function readSignatureManifest(body: Buffer): { layers: PayloadLayer[] } | { problem: string } {
  const doc = parseObject(body)
  if (doc === undefined) return { problem: 'is not a JSON object' }
  if (!Array.isArray(doc.layers)) return { problem: 'has no layers' }
  const layers = doc.layers.flatMap((layer: unknown): PayloadLayer[] => {
    if (!isObject(layer) || layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) return []
    if (typeof layer.digest !== 'string' || !DIGEST.test(layer.digest)) return []
    if (!Number.isSafeInteger(layer.size) || (layer.size as number) < 0) return []
    const annotations = isObject(layer.annotations) ? layer.annotations : {}
    const signature = annotations[SIGNATURE_ANNOTATION]
    return [{ digest: layer.digest, size: layer.size as number, signature: typeof signature === 'string' ? signature : undefined }]
  })
  return { layers }
}
