import { sql } from 'kysely'
import type { Database } from '../db/database.js'
import { migrationsApplied } from '../db/migrator.js'

/** What the database looked like at the last check: reachable and migrated, reachable with pending migrations, or away. */
export type DatabaseState = 'reachable' | 'migrations_pending' | 'unreachable'

export interface ReadinessState {
  /** False until every plugin is loaded (migrations applied); true from then on. */
  started: boolean
  /** True once shutdown began: the replica must leave the load balancer. */
  draining: boolean
  /** The last known database state (no check is made to read it). */
  database: DatabaseState
  /** 'degraded' while the database is away and resolve answers from what this replica knows. */
  mode: 'normal' | 'degraded'
  /** Whether a load balancer should send this replica traffic. */
  ready: boolean
}

export interface ReadinessOptions {
  db: Database
  /** Without the resolve cache nothing can be answered while the database is away. */
  servesFromMemory: boolean
  /** How long one answer of the database check is reused, so a probe storm costs one query. */
  cacheMs?: number
  /** The longest a probe waits for the database before calling it unreachable. */
  timeoutMs?: number
}

/**
 * The replica's readiness, kept apart from the HTTP route so other parts (metrics, shutdown) can read
 * it and change it. The database check is bounded in time and shared: at most one query is in flight,
 * and its answer is reused for cacheMs.
 */
export class Readiness {
  #started = false
  #draining = false
  #database: DatabaseState = 'reachable'
  #checkedAt = -Infinity
  #inFlight: Promise<DatabaseState> | undefined
  readonly #drainListeners: (() => void)[] = []
  readonly #options: Required<ReadinessOptions>

  constructor(options: ReadinessOptions) {
    this.#options = { cacheMs: 1000, timeoutMs: 500, ...options }
  }

  /** Start-up completed (migrations applied, every plugin loaded). */
  started(): void {
    this.#started = true
  }

  /** Shutdown began: /readyz answers 503 from now on, so the replica leaves the Service before it stops. */
  draining(): void {
    if (this.#draining) return
    this.#draining = true
    for (const listener of this.#drainListeners) listener()
  }

  /** Runs once when shutdown begins (e.g. the check worker stops taking jobs). */
  onDraining(listener: () => void): void {
    this.#drainListeners.push(listener)
  }

  get isDraining(): boolean {
    return this.#draining
  }

  /** The state as last known, without touching the database (for metrics). */
  state(): ReadinessState {
    const database = this.#database
    const mode = database === 'unreachable' ? 'degraded' : 'normal'
    const servable = database === 'reachable' || (database === 'unreachable' && this.#options.servesFromMemory)
    return { started: this.#started, draining: this.#draining, database, mode, ready: this.#started && !this.#draining && servable }
  }

  /** Checks the database (or reuses a check younger than cacheMs) and returns the state. */
  async check(): Promise<ReadinessState> {
    if (this.#started && !this.#draining && performance.now() - this.#checkedAt >= this.#options.cacheMs) {
      this.#database = await this.#checkDatabase()
      this.#checkedAt = performance.now()
    }
    return this.state()
  }

  // A database that hangs keeps its query in flight; the probe answers 'unreachable' after timeoutMs
  // and later probes wait on the same query instead of stacking new ones on the pool.
  async #checkDatabase(): Promise<DatabaseState> {
    this.#inFlight ??= this.#query().finally(() => (this.#inFlight = undefined))
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<DatabaseState>((resolve) => {
      timer = setTimeout(() => resolve('unreachable'), this.#options.timeoutMs)
    })
    try {
      return await Promise.race([this.#inFlight, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  async #query(): Promise<DatabaseState> {
    try {
      await sql`select 1`.execute(this.#options.db)
      return (await migrationsApplied(this.#options.db)) ? 'reachable' : 'migrations_pending'
    } catch {
      return 'unreachable'
    }
  }
}
