// Parsing the public keys an image requires signatures by. Only what cosign's keyed mode produces is
// accepted, and only as a public key: a private key pasted by mistake must never be stored.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import type { SignatureKeyRef } from './signature-types.js'

export const ACCEPTED_KEYS_HINT =
  'a PEM public key (-----BEGIN PUBLIC KEY-----, as in the cosign.pub written by `cosign generate-key-pair`) of an ECDSA P-256 or Ed25519 key'

export class InvalidSignatureKeyError extends Error {
  constructor(
    readonly keyName: string,
    readonly hint: string
  ) {
    super(`signature key "${keyName}" is not usable: ${hint}`)
    this.name = 'InvalidSignatureKeyError'
  }
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

function pemLabels(pem: string): string[] {
  return [...pem.matchAll(PEM_BLOCK)].map((match) => match[1] ?? '')
}

function labelProblem(labels: string[]): string | undefined {
  if (labels.length === 0) return `no PEM block found; expected ${ACCEPTED_KEYS_HINT}`
  if (labels.length > 1) return `${labels.length} PEM blocks found; give one key per entry, ${ACCEPTED_KEYS_HINT}`
  const label = labels[0] ?? ''
  if (label.includes('PRIVATE')) {
    return `this is a private key (${label}); give only its public key (cosign public-key --key cosign.key prints it) and keep the private key secret`
  }
  if (label === 'CERTIFICATE') return `this is a certificate, not a key; give the public key it certifies, ${ACCEPTED_KEYS_HINT}`
  if (label === 'RSA PUBLIC KEY') return `RSA keys are not supported; expected ${ACCEPTED_KEYS_HINT}`
  if (label !== 'PUBLIC KEY') return `a PEM block labelled ${label} is not a public key; expected ${ACCEPTED_KEYS_HINT}`
  return undefined
}

function algorithmOf(key: KeyObject): string {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519'
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve
    return curve === 'prime256v1' ? 'ecdsa-p256' : `ECDSA keys on curve ${curve ?? 'unknown'}`
  }
  return `${(key.asymmetricKeyType ?? 'unknown').toUpperCase()} keys`
}

/** The key's fingerprint as cosign users compare it: the SHA-256 of its SubjectPublicKeyInfo DER. */
export function keyFingerprint(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' })
  return `sha256:${createHash('sha256').update(der).digest('hex')}`
}

export function parseSignatureKey(name: string, pem: string): SignatureKeyRef {
  const problem = labelProblem(pemLabels(pem))
  if (problem !== undefined) throw new InvalidSignatureKeyError(name, problem)
  let key: KeyObject
  try {
    key = createPublicKey({ key: pem, format: 'pem' })
  } catch {
    throw new InvalidSignatureKeyError(name, `the PEM block does not hold a readable public key; expected ${ACCEPTED_KEYS_HINT}`)
  }
  const algorithm = algorithmOf(key)
  if (algorithm !== 'ecdsa-p256' && algorithm !== 'ed25519') {
    throw new InvalidSignatureKeyError(name, `${algorithm} are not supported; expected ${ACCEPTED_KEYS_HINT}`)
  }
  return {
    name,
    algorithm,
    publicKey: key.export({ type: 'spki', format: 'pem' }).toString(),
    fingerprint: keyFingerprint(key)
  }
}
