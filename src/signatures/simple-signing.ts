// Cosign's simple-signing payload: the signed document that names the image digest. Signatures are
// detached, so this digest is the only thing tying a signature to the image.
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json'
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature'

export type PayloadReading = { ok: true; manifestDigest: string } | { ok: false; problem: string }

type Json = Record<string, unknown>
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

// Cosign reads these fields with Go's case-insensitive JSON matching, and its own spec spells the
// digest key in two ways, so the keys are matched the same way here.
function field(object: Json, name: string): unknown {
  const key = Object.keys(object).find((k) => k.toLowerCase() === name)
  return key === undefined ? undefined : object[key]
}

export function readSimpleSigningPayload(payload: Buffer): PayloadReading {
  let document: unknown
  try {
    document = JSON.parse(payload.toString('utf8'))
  } catch {
    return { ok: false, problem: 'is not JSON' }
  }
  const critical = isObject(document) ? field(document, 'critical') : undefined
  if (!isObject(critical)) return { ok: false, problem: 'has no "critical" section' }
  const type = field(critical, 'type')
  if (type !== COSIGN_SIGNATURE_TYPE) {
    return { ok: false, problem: `is of type ${JSON.stringify(type ?? null)}, not "${COSIGN_SIGNATURE_TYPE}"` }
  }
  const image = field(critical, 'image')
  const digest = isObject(image) ? field(image, 'docker-manifest-digest') : undefined
  if (typeof digest !== 'string') return { ok: false, problem: 'names no docker-manifest-digest' }
  return { ok: true, manifestDigest: digest }
}
