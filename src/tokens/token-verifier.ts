import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.js'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { findRevokedAmong, findTokenByHash, touchToken } from './tokens.repository.js'
import type { ApiTokenRow } from './tokens.table.js'
import { hashToken } from './token-secret.js'
import { unauthorized } from '../auth/bearer.js'
import { RevocationHorizon } from './revocation-horizon.js'
import type { Principal, Scope } from '../auth/scopes.js'

// Tokens are checked on every request, including the resolve path that must keep answering while
// the database is away. So verified tokens are cached briefly. A revocation reaches every replica
// through a notification that drops the token at once; while that notification cannot be heard
// (the LISTEN connection is down) an entry is trusted only for UNLISTENED_MS. Refreshing an entry
// that could be served during an outage waits REFRESH_BUDGET_MS at most, as resolve's cache does.
const FRESH_MS = 15_000
const UNLISTENED_MS = 1_000
const REFRESH_BUDGET_MS = 300
const RETRY_AFTER_MS = 1_000
const TOUCH_EVERY_MS = 60_000
const MAX_ENTRIES = 10_000

interface Entry {
  row: ApiTokenRow | undefined
  /** Built once per entry and frozen: every request of the token shares it. */
  principal: Principal | undefined
  /**
   * When the query that read the row was sent (what it says was true then), on the monotonic clock:
   * sub-millisecond, so "after the last revocation" is decidable, and immune to wall-clock steps.
   */
  verifiedAt: number
}

export interface TokenVerifierOptions {
  db: Database
  log: FastifyBaseLogger
  /** False while revocations on other replicas cannot be heard. */
  hearsRevocations: () => boolean
}

export class TokenVerifier {
  private readonly cache = new Map<string, Entry>()
  // The same entries of valid tokens by the token itself, so the hot path does not hash it on every
  // request. It holds nothing a request does not carry anyway, only while the token is in use, and
  // is cleared with the cache.
  private readonly byToken = new Map<string, Entry>()
  private readonly touched = new Map<string, number>()

  private readonly horizon = new RevocationHorizon()
  private readonly inflight = new Map<string, Promise<Entry>>()
  /** After a refresh failed or ran over budget, servable entries are served without asking again until then. */
  private unavailableUntil = 0
  private readonly db: Database
  private readonly log: FastifyBaseLogger
  private readonly hearsRevocations: () => boolean

  constructor(options: TokenVerifierOptions) {
    this.db = options.db
    this.log = options.log
    this.hearsRevocations = options.hearsRevocations
  }

  async verify(token: string): Promise<Principal> {
    const hash = hashToken(token)
    const entry = await this.lookup(hash)
    if (entry.row && this.cache.get(hash) === entry) {
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

  /** A token was revoked (here, or on another replica that notified us): its next use reads the database. */
  revoked(tokenId: string): void {
    this.horizon.revocationSeen()
    this.inflight.clear()
    this.drop(new Set([tokenId]))
  }

  /**
   * The listener (re)connected, so revocations may have been missed: until the cached tokens are
   * checked against the database they are trusted as briefly as while not listening, and not at
   * all during an outage. Revoked ones are dropped; the others keep their place, so a database that
   * flaps does not cost every cached token.
   */
  async listenerConnected(): Promise<void> {
    const since = this.horizon.reconnected()
    this.inflight.clear()
    const ids = new Set<string>()
    for (const entry of this.cache.values()) if (entry.row && !entry.row.revokedAt && entry.verifiedAt < since) ids.add(entry.row.id)
    if (ids.size === 0) return this.horizon.confirmed(since, false)
    try {
      const checkedAt = performance.now()
      const revoked = new Set(await findRevokedAmong(this.db, [...ids]))
      this.drop(revoked)
      // The others are verified again as of the check: revocation is the only change a token sees.
      for (const map of [this.cache, this.byToken]) {
        for (const [key, entry] of map)
          if (entry.row && ids.has(entry.row.id) && entry.verifiedAt < since) map.set(key, { ...entry, verifiedAt: checkedAt })
      }
      this.horizon.confirmed(since, revoked.size > 0)
    } catch (err) {
      // Unconfirmed entries cannot be kept; what is verified from now on is known to be current.
      this.log.warn({ err }, 'could not check cached tokens for revocations missed while not listening; dropping them')
      for (const [key, entry] of this.cache) if (entry.verifiedAt < since) this.cache.delete(key)
      for (const [key, entry] of this.byToken) if (entry.verifiedAt < since) this.byToken.delete(key)
      this.horizon.confirmed(since, true)
    }
  }

  private drop(tokenIds: ReadonlySet<string>): void {
    if (tokenIds.size === 0) return
    for (const map of [this.cache, this.byToken]) {
      for (const [key, entry] of map) if (entry.row && tokenIds.has(entry.row.id)) map.delete(key)
    }
  }

  private isFresh(entry: Entry): boolean {
    const listening = this.hearsRevocations() && !this.horizon.unconfirmed
    return performance.now() - entry.verifiedAt < (listening ? FRESH_MS : UNLISTENED_MS)
  }

  private async lookup(hash: string): Promise<Entry> {
    const cached = this.cache.get(hash)
    if (cached && this.isFresh(cached)) return cached
    if (!cached || !this.servableDuringOutage(cached)) return this.load(hash)
    if (performance.now() < this.unavailableUntil) return cached
    try {
      return await withBudget(this.load(hash), REFRESH_BUDGET_MS)
    } catch (error) {
      if (!(error instanceof BudgetExceeded) && !isDatabaseUnavailable(error)) throw error
      this.unavailableUntil = performance.now() + RETRY_AFTER_MS
      return cached
    }
  }

  // One query per token at a time, however many requests are waiting for it.
  private load(hash: string): Promise<Entry> {
    const pending = this.inflight.get(hash)
    if (pending) return pending
    const verifiedAt = performance.now()
    const load = findTokenByHash(this.db, hash).then((row) => {
      const entry = { row, principal: row && principalOf(row), verifiedAt }
      // A revocation heard while the query was in flight may be newer than what it read: answer
      // the waiting requests with it, but do not keep it.
      if (verifiedAt > this.horizon.cutoff()) {
        if (this.cache.size >= MAX_ENTRIES) this.cache.clear()
        this.cache.set(hash, entry)
      }
      return entry
    })
    this.inflight.set(hash, load)
    const forget = () => {
      if (this.inflight.get(hash) === load) this.inflight.delete(hash)
    }
    load.then(forget, forget)
    return load
  }

  // Without the database, a cached valid token is served only if it was verified after the last
  // revocation this replica knows of; otherwise it may be that very token, and the database error
  // (503 DATABASE_UNAVAILABLE, Retry-After) is the honest answer: unknown, not invalid. Refusals
  // need no such care: an unknown or revoked token does not become valid.
  private servableDuringOutage(entry: Entry): boolean {
    return !entry.row || entry.row.revokedAt !== null || entry.verifiedAt > this.horizon.cutoff()
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

class BudgetExceeded extends Error {}

function withBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BudgetExceeded()), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
