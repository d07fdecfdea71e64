import { hash, randomBytes } from 'node:crypto'

// 32 random bytes = 256 bits. The prefix makes leaked tokens easy to spot by secret scanners.
const PREFIX = 'cis_'

export function generateToken(): string {
  return PREFIX + randomBytes(32).toString('base64url')
}

// A plain sha256 is enough: the input is 256 random bits, so there is nothing to brute-force,
// and an exact-match index lookup stays cheap on every request. The one-shot hash() is a quarter
// of the cost of createHash().update().digest(); it runs on every request.
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex')
}

/** What lists show instead of the token: enough to recognise it, useless to use it. */
export function displayPrefix(token: string): string {
  return token.slice(0, PREFIX.length + 6)
}
