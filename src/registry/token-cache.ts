// Bearer tokens are reused until shortly before they expire: each token round trip costs as much as
// the manifest request itself, and Docker Hub's token service has its own rate limit.
import { createHash } from 'node:crypto'

export interface TokenCacheOptions {
  /** Tokens are dropped this long before their real expiry, to absorb clock skew and latency. */
  marginMs?: number
  maxEntries?: number
  now?: () => number
}

export interface TokenKeyParts {
  registry: string
  realm: string
  service: string | undefined
  scope: string
  credential: { username: string; password: string } | undefined
}

export interface TokenCache {
  get(key: string): string | undefined
  /** `expiresInSeconds` as the token service sent it; undefined means the spec default of 60 s. */
  set(key: string, token: string, expiresInSeconds?: number): void
  delete(key: string): void
  readonly size: number
}

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 60

/** Credentials enter the key only as a hash, so the cache never holds a password in clear. */
export function tokenCacheKey(parts: TokenKeyParts): string {
  const identity =
    parts.credential === undefined
      ? 'anonymous'
      : createHash('sha256').update(`${parts.credential.username}\0${parts.credential.password}`).digest('hex')
  return JSON.stringify([parts.registry, parts.realm, parts.service ?? '', parts.scope, identity])
}

export function createTokenCache(options: TokenCacheOptions = {}): TokenCache {
  const marginMs = options.marginMs ?? 10_000
  const maxEntries = options.maxEntries ?? 1000
  const now = options.now ?? Date.now
  const entries = new Map<string, { token: string; expiresAt: number }>()

  return {
    get(key) {
      const entry = entries.get(key)
      if (entry === undefined) return undefined
      if (now() >= entry.expiresAt) {
        entries.delete(key)
        return undefined
      }
      return entry.token
    },
    set(key, token, expiresInSeconds) {
      const lifetime = expiresInSeconds !== undefined && expiresInSeconds > 0 ? expiresInSeconds : DEFAULT_TOKEN_LIFETIME_SECONDS
      const expiresAt = now() + lifetime * 1000 - marginMs
      if (expiresAt <= now()) return // too short-lived to be worth keeping
      entries.delete(key)
      // Map keeps insertion order, so the first key is the oldest: a cheap bound on memory.
      if (entries.size >= maxEntries) {
        const oldest = entries.keys().next()
        if (!oldest.done) entries.delete(oldest.value)
      }
      entries.set(key, { token, expiresAt })
    },
    delete(key) {
      entries.delete(key)
    },
    get size() {
      return entries.size
    }
  }
}
