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
  fetchedAt: number
}

export class TokenVerifier {
  private readonly cache = new Map<string, Entry>()
  private readonly touched = new Map<string, number>()

  constructor(
    private readonly db: Database,
    private readonly log: FastifyBaseLogger
  ) {}

  async verify(token: string): Promise<Principal> {
    const hash = hashToken(token)
    const row = await this.lookup(hash)
    if (!row) throw unauthorized('The token is not valid.', 'INVALID_TOKEN', true)
    if (row.revokedAt) throw unauthorized('The token has been revoked.', 'TOKEN_REVOKED', true)
    if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) {
      throw unauthorized(`The token expired at ${row.expiresAt.toISOString()}.`, 'TOKEN_EXPIRED', true)
    }
    this.touch(row.id)
    return { tokenId: row.id, name: row.name, scopes: row.scopes as Scope[], projects: row.projects, expiresAt: row.expiresAt }
  }

  /** Drops cached entries so a revocation takes effect at once (this replica). */
  forget(): void {
    this.cache.clear()
  }

  private async lookup(hash: string): Promise<ApiTokenRow | undefined> {
    const cached = this.cache.get(hash)
    if (cached && Date.now() - cached.fetchedAt < FRESH_MS) return cached.row
    try {
      const row = await findTokenByHash(this.db, hash)
      if (this.cache.size >= MAX_ENTRIES) this.cache.clear()
      this.cache.set(hash, { row, fetchedAt: Date.now() })
      return row
    } catch (error) {
      if (cached && isDatabaseUnavailable(error)) return cached.row
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
