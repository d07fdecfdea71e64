/**
 * What this replica knows about revocations, on the monotonic clock (performance.now(): finer than
 * a millisecond, and immune to wall-clock steps). A cached token verified after `cutoff()` cannot
 * have been revoked without this replica hearing of it; one verified before may have been.
 */
export class RevocationHorizon {
  /** The last revocation heard or made here. Nothing is cached before start, so it begins there. */
  private lastSeenAt = performance.now()
  /** Set when the listener (re)connects, until the cache is confirmed against the database. */
  private unconfirmedSince: number | undefined

  cutoff(): number {
    return Math.max(this.lastSeenAt, this.unconfirmedSince ?? -Infinity)
  }

  /** True while revocations made before the last (re)connection may be unknown here. */
  get unconfirmed(): boolean {
    return this.unconfirmedSince !== undefined
  }

  revocationSeen(): void {
    this.lastSeenAt = performance.now()
  }

  /** The listener (re)connected: anything sent while it was away was missed. Returns the moment. */
  reconnected(): number {
    this.unconfirmedSince = performance.now()
    return this.unconfirmedSince
  }

  /**
   * The cache was checked against the database after reconnecting (at `since`): revoked entries
   * were dropped. If there were any, those are revocations this replica knows of from then on.
   */
  confirmed(since: number, missedAny: boolean): void {
    if (this.unconfirmedSince !== since) return // a newer reconnection's check decides
    if (missedAny) this.lastSeenAt = Math.max(this.lastSeenAt, since)
    this.unconfirmedSince = undefined
  }
}
