import type { FastifyBaseLogger } from 'fastify'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { CoalescingBuffer, ListBuffer, type Coalescing, type RowBuffer } from './row-buffer.js'

export interface BatchWriterOptions<T> {
  /** Names the writer in log lines. */
  name: string
  write(rows: T[]): Promise<void>
  log: FastifyBaseLogger
  batchSize?: number
  /** Rows kept while the database is slow or away; beyond this new rows are dropped and counted. */
  maxBuffered?: number
  flushIntervalMs?: number
  /** Folds rows with equal keys while they wait (then maxBuffered counts distinct keys). */
  coalesce?: Coalescing<T>
}

const WARN_EVERY_MS = 10_000

/**
 * Records rows off the request path: push() only appends to memory, and batches are written by a
 * timer (or as soon as a batch is full). Memory is bounded: when the buffer is full the row is
 * dropped and counted, because answering the pipeline engine matters more than its log. A write
 * that fails because the database is unreachable keeps its rows for the next flush, so a short
 * outage loses nothing.
 */
export class BatchWriter<T> {
  private readonly buffer: RowBuffer<T>
  private flushing: Promise<boolean> | undefined
  /** How many rows at the front of the buffer the flush in progress still has to write. */
  private due = 0
  /** The last write failed because the database could not be reached. */
  private unreachable = false
  private readonly timer: NodeJS.Timeout
  private readonly batchSize: number
  /** Rows dropped since start (buffer full). */
  dropped = 0
  private droppedUnreported = 0
  private lastWarnAt = 0

  constructor(private readonly options: BatchWriterOptions<T>) {
    // A batch's parameters are built in one event-loop turn, which holds up every request behind
    // it: the batch size bounds that pause (docs/benchmarks.md has the figures).
    this.batchSize = options.batchSize ?? 500
    const maxBuffered = options.maxBuffered ?? 50_000
    this.buffer = options.coalesce ? new CoalescingBuffer(maxBuffered, options.coalesce) : new ListBuffer(maxBuffered)
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1000)
    this.timer.unref()
  }

  get buffered(): number {
    return this.buffer.size
  }

  push(row: T): void {
    if (!this.buffer.add(row)) {
      this.dropped++
      this.droppedUnreported++
      this.warnDropped()
      return
    }
    // A full batch is written now (a flush writes full batches without making the rest due); while
    // the database is unreachable, only the timer retries, not every request.
    if (this.buffer.size >= this.batchSize && !this.unreachable) void this.draining()
  }

  /**
   * Writes the rows buffered now, and any batch that fills up meanwhile; concurrent calls share one
   * flush. Never rejects.
   */
  flush(): Promise<void> {
    return this.shared().then(() => undefined)
  }

  /** Final flush on shutdown; what cannot be written is reported as lost. */
  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flushing
    // Until nothing is left (rows can still arrive while the last batches are written), unless the
    // database is unreachable.
    while (this.buffer.size > 0 && (await this.shared())) continue
    if (this.buffer.size > 0 || this.droppedUnreported > 0) {
      this.options.log.warn(
        { lost: this.buffer.size, dropped: this.droppedUnreported },
        `${this.options.name}: rows not written at shutdown`
      )
    }
  }

  /** The flush in progress, or a new one; true when it wrote all it was due, false when the database was unreachable. */
  private shared(): Promise<boolean> {
    // Everything buffered now, also when this joins a flush that began earlier.
    this.due = this.buffer.size
    return this.draining()
  }

  private draining(): Promise<boolean> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined
    })
    return this.flushing
  }

  private async drain(): Promise<boolean> {
    // Only the rows that were due, and full batches: a flush that went on for as long as any row was
    // buffered would, under steady load, write a batch of a row or two every few milliseconds
    // instead of one per interval (the rows of one build fold together only while they wait).
    while (this.due > 0 || this.buffer.size >= this.batchSize) {
      const batch = this.buffer.take(this.batchSize)
      this.due = Math.max(0, this.due - batch.length)
      try {
        await this.options.write(batch)
        this.unreachable = false
      } catch (err) {
        if (!isDatabaseUnavailable(err)) {
          // The database refused the rows themselves: they would be refused again on every flush and
          // hold back every later row, so they are dropped (inputs are validated; this is the net).
          this.dropped += batch.length
          this.options.log.error({ err, dropped: batch.length }, `${this.options.name}: the database refused a batch; its rows are dropped`)
          continue
        }
        // Unreachable: back to the front, in order, as far as the bound allows.
        this.unreachable = true
        const lost = this.buffer.restore(batch)
        this.dropped += lost
        this.droppedUnreported += lost
        if (this.shouldWarn())
          this.options.log.warn({ err, buffered: this.buffer.size }, `${this.options.name}: write failed; rows kept for the next flush`)
        return false
      }
    }
    if (this.droppedUnreported > 0) this.warnDropped()
    return true
  }

  private warnDropped(): void {
    if (!this.shouldWarn()) return
    this.options.log.warn(
      { dropped: this.droppedUnreported, droppedTotal: this.dropped },
      `${this.options.name}: buffer full, rows dropped`
    )
    this.droppedUnreported = 0
  }

  private shouldWarn(): boolean {
    const now = Date.now()
    if (now - this.lastWarnAt < WARN_EVERY_MS) return false
    this.lastWarnAt = now
    return true
  }
}
