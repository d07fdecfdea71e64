import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.js'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { findTokenByHash, touchToken } from '../tokens/tokens.repository.js'
import type { ApiTokenRow } from '../tokens/tokens.table.js'
import { hashToken } from './token-secret.js'
import { unauthorized } from './bearer.js'
import type { Principal, Scope } from './scopes.js'

// Tokens are checked on every request, including the resolve path that must keep answering while
// the database is away. So verified tokens are cached briefly, and a cached entry is still trusted
// (until its own expiry) when the database cannot be reached.
const FRESH_MS = 15_000
const TOUCH_EVERY_MS = 60_000
const MAX_ENTRIES = 10_000

interface Entry {
  row: ApiTokenRow | undefined
  /** Built once per entry and frozen: every request of the token shares it. */
  principal: Principal | undefined
  fetchedAt: number
}

export class TokenVerifier {
  private readonly cache = new Map<string, Entry>()
  // The same entries of valid tokens by the token itself: hashing it was a tenth of the CPU of a
  // resolve request. It holds nothing a request does not carry anyway, only while the token is in
  // use, and is cleared with the cache.
  private readonly byToken = new Map<string, Entry>()
  private readonly touched = new Map<string, number>()

  constructor(
    private readonly db: Database,
    private readonly log: FastifyBaseLogger
  ) {}

  async verify(token: string): Promise<Principal> {
    const entry = await this.lookup(hashToken(token))
    if (entry.row) {
      if (this.byToken.size >= MAX_ENTRIES) this.byToken.clear()
      this.byToken.set(token, entry)
    }
    return this.check(entry)
  }

  /**
   * The same answer as verify() (401s included) when the token's entry is fresh, without a promise:
   * the auth hook stays synchronous on the hot path. undefined = not cached, call verify().
   */
  verifyCached(token: string): Principal | undefined {
    const cached = this.byToken.get(token)
    return cached && this.isFresh(cached) ? this.check(cached) : undefined
  }

  private check({ row, principal }: Entry): Principal {
    if (!row || !principal) throw unauthorized('The token is not valid.', 'INVALID_TOKEN', true)
    if (row.revokedAt) throw unauthorized('The token has been revoked.', 'TOKEN_REVOKED', true)
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
      throw unauthorized(`The token expired at ${row.expiresAt.toISOString()}.`, 'TOKEN_EXPIRED', true)
    }
    this.touch(row.id)
    return principal
  }

  /** Drops cached entries so a revocation takes effect at once (this replica). */
  forget(): void {
    this.cache.clear()
    this.byToken.clear()
  }

  private isFresh(entry: Entry): boolean {
    return Date.now() - entry.fetchedAt < FRESH_MS
  }

  private async lookup(hash: string): Promise<Entry> {
    const cached = this.cache.get(hash)
    if (cached && this.isFresh(cached)) return cached
    try {
      const row = await findTokenByHash(this.db, hash)
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear()
      const entry = { row, principal: row && principalOf(row), fetchedAt: Date.now() }
      this.cache.set(hash, entry)
      return entry
    } catch (error) {
      if (cached && isDatabaseUnavailable(error)) return cached
      throw error
    }
  }

  // last_used_at is informational: written at most once a minute per token, off the request path.
  private touch(id: string): void {
    const now = Date.now()
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return
    this.touched.set(id, now)
    touchToken(this.db, id, new Date(now)).catch((err: unknown) => this.log.warn({ err }, 'could not record token use'))
  }
}

function principalOf(row: ApiTokenRow): Principal {
  return Object.freeze({
    tokenId: row.id,
    name: row.name,
    scopes: Object.freeze([...(row.scopes as Scope[])]) as Scope[],
    projects: row.projects && (Object.freeze([...row.projects]) as string[]),
    expiresAt: row.expiresAt
  })
}
