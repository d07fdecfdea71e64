// Content addressing is the only integrity check a registry offers over plain http or through a
// proxy, so every body we rely on is hashed and compared.
import { createHash } from 'node:crypto'
import { InvalidManifestError } from './manifest.js'

export class DigestMismatchError extends InvalidManifestError {
  constructor(
    readonly what: string,
    readonly expected: string,
    readonly actual: string
  ) {
    super(`its ${what} does not match its digest (expected ${expected}, got ${actual})`)
    this.name = 'DigestMismatchError'
  }
}

/** Hashes with the expected digest's algorithm (sha256 unless it says sha512). */
export function computeDigest(body: Buffer, expected?: string): string {
  const algorithm = expected?.startsWith('sha512:') === true ? 'sha512' : 'sha256'
  return `${algorithm}:${createHash(algorithm).update(body).digest('hex')}`
}

/** Returns the body's digest; throws when it differs from the one the registry or the caller named. */
export function verifyDigest(body: Buffer, expected: string | undefined, what: string): string {
  const actual = computeDigest(body, expected)
  if (expected !== undefined && expected !== actual) throw new DigestMismatchError(what, expected, actual)
  return actual
}
