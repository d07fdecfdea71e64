import { isDatabaseUnavailable } from '../db/unavailable.js'
import type { ImageSnapshot } from './image-snapshot.js'

export interface SnapshotCacheOptions {
  /** false bypasses the cache entirely: every lookup reads the database (benchmarks). */
  enabled: boolean
  load(code: string): Promise<ImageSnapshot | undefined>
  /** How long an entry is trusted without a refresh; asked on every lookup (it depends on LISTEN). */
  freshMs(): number
  maxEntries?: number
  /** How long a refresh may take before the last known snapshot is served instead. */
  refreshBudgetMs?: number
  /** After the database failed, how long to serve known snapshots without trying it again. */
  retryAfterMs?: number
}

export interface Lookup {
  snapshot: ImageSnapshot | undefined
  /** true when the database could not confirm the snapshot: it is the last known state. */
  stale: boolean
}

interface Entry {
  snapshot: ImageSnapshot
  loadedAt: number
  /** Cleared by invalidation; the snapshot stays as the fallback while the database is away. */
  valid: boolean
}

class BudgetExceeded extends Error {}

/**
 * Image snapshots by code, kept exact by invalidation (every committed change, see app.changes)
 * and bounded in time by freshMs. A miss loads once however many requests wait for it. When the
 * database cannot be reached, the last known snapshot keeps answering, marked stale.
 */
export class SnapshotCache {
  private readonly entries = new Map<string, Entry>()
  private readonly codeById = new Map<string, string>()
  private readonly inflight = new Map<string, Promise<ImageSnapshot | undefined>>()
  // Any invalidation bumps the epoch, and a load that started before stores nothing: it may have
  // read the database before the change committed. One global counter also covers loads of images
  // whose id this cache has not seen yet.
  private epoch = 0
  private unavailableUntil = 0
  private readonly maxEntries: number
  private readonly refreshBudgetMs: number
  private readonly retryAfterMs: number

  constructor(private readonly options: SnapshotCacheOptions) {
    this.maxEntries = options.maxEntries ?? 10_000
    this.refreshBudgetMs = options.refreshBudgetMs ?? 300
    this.retryAfterMs = options.retryAfterMs ?? 1000
  }

  get size(): number {
    return this.entries.size
  }

  /** The snapshot if get() would answer it from memory, confirmed and fresh; undefined otherwise. */
  peek(code: string): ImageSnapshot | undefined {
    const entry = this.options.enabled ? this.entries.get(code) : undefined
    return entry?.valid && Date.now() - entry.loadedAt < this.options.freshMs() ? entry.snapshot : undefined
  }

  async get(code: string): Promise<Lookup> {
    if (!this.options.enabled) return { snapshot: await this.options.load(code), stale: false }
    const entry = this.entries.get(code)
    const now = Date.now()
    if (entry?.valid && now - entry.loadedAt < this.options.freshMs()) return { snapshot: entry.snapshot, stale: false }
    if (!entry) return { snapshot: await this.fetch(code), stale: false }
    if (now < this.unavailableUntil) return { snapshot: entry.snapshot, stale: true }
    try {
      return { snapshot: await withBudget(this.fetch(code), this.refreshBudgetMs), stale: false }
    } catch (error) {
      if (!(error instanceof BudgetExceeded) && !isDatabaseUnavailable(error)) throw error
      this.unavailableUntil = Date.now() + this.retryAfterMs
      return { snapshot: entry.snapshot, stale: true }
    }
  }

  /** An image's versions or access changed: the next lookup reads the database. */
  invalidate(imageId: string): void {
    this.epoch++
    this.inflight.clear()
    const code = this.codeById.get(imageId)
    const entry = code === undefined ? undefined : this.entries.get(code)
    if (entry) entry.valid = false
  }

  /** Changes may have been missed (LISTEN reconnected): nothing is trusted until reloaded. */
  invalidateAll(): void {
    this.epoch++
    this.inflight.clear()
    for (const entry of this.entries.values()) entry.valid = false
  }

  private fetch(code: string): Promise<ImageSnapshot | undefined> {
    const pending = this.inflight.get(code)
    if (pending) return pending
    const epoch = this.epoch
    const load = this.options.load(code).then((snapshot) => {
      if (epoch === this.epoch) this.store(code, snapshot)
      return snapshot
    })
    this.inflight.set(code, load)
    const forget = () => {
      if (this.inflight.get(code) === load) this.inflight.delete(code)
    }
    load.then(forget, forget)
    return load
  }

  private store(code: string, snapshot: ImageSnapshot | undefined): void {
    const previous = this.entries.get(code)
    if (previous) {
      this.entries.delete(code)
      this.codeById.delete(previous.snapshot.id)
    }
    if (!snapshot) return
    if (this.entries.size >= this.maxEntries) {
      const [oldestCode, oldest] = this.entries.entries().next().value as [string, Entry]
      this.entries.delete(oldestCode)
      this.codeById.delete(oldest.snapshot.id)
    }
    this.entries.set(code, { snapshot, loadedAt: Date.now(), valid: true })
    this.codeById.set(snapshot.id, code)
  }
}

function withBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BudgetExceeded()), ms)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}
