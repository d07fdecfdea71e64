import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { CoalescingBuffer, ListBuffer, type Coalescing, type RowBuffer } from './row-buffer.js'

export interface BatchWriterOptions<T> {
  /** Names the writer in log lines. */
  name: string
  /**
   * Writes one batch. The same batch (same id, same rows) may come again after a failure that left it
   * unknown whether it was written; writing it twice must record it once.
   */
  write(rows: T[], batchId: string): Promise<void>
  log: FastifyBaseLogger
  batchSize?: number
  /** Rows kept while the database is slow or away; beyond this new rows are dropped and counted. */
  maxBuffered?: number
  flushIntervalMs?: number
  /** Folds rows with equal keys while they wait (then maxBuffered counts distinct keys). */
  coalesce?: Coalescing<T>
}

const WARN_EVERY_MS = 10_000

/** Rows taken from the buffer for one write, under an id that stays theirs until they are written. */
interface Batch<T> {
  id: string
  rows: T[]
}

/**
 * Records rows off the request path: push() only appends to memory, and batches are written by a
 * timer (or as soon as a batch is full). Memory is bounded: when the buffer is full the row is
 * dropped and counted, because answering the pipeline engine matters more than its log. A batch
 * whose write fails because the database is unreachable is set aside as it is and written first by
 * the next flush, so a short outage loses nothing; it keeps its id, because a connection cut after
 * COMMIT reached the server fails the write of a batch that was in fact recorded, and the write
 * recognises the id (exactly once, not at least once). The batch being written or set aside counts
 * toward the memory bound.
 */
export class BatchWriter<T> {
  private readonly buffer: RowBuffer<T>
  /** The batch being written, or set aside after its write failed (unreachable) until a flush writes it. */
  private batch: Batch<T> | undefined
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
    // Each writer says how large its batches may be (LogWriter.batchSize).
    this.batchSize = options.batchSize ?? 500
    const maxBuffered = options.maxBuffered ?? 50_000
    this.buffer = options.coalesce ? new CoalescingBuffer(maxBuffered, options.coalesce) : new ListBuffer(maxBuffered)
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 1000)
    this.timer.unref()
  }

  /** Rows not written yet: in the buffer, being written, or set aside for a retry. */
  get buffered(): number {
    return this.buffer.size + (this.batch?.rows.length ?? 0)
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
    while (this.buffered > 0 && (await this.shared())) continue
    if (this.buffered > 0 || this.droppedUnreported > 0) {
      this.options.log.warn({ lost: this.buffered, dropped: this.droppedUnreported }, `${this.options.name}: rows not written at shutdown`)
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
    // A batch set aside goes first, as it is: merged back into the buffer it would be written again
    // under another id, twice if its first write was in fact recorded.
    if (this.batch && !(await this.write(this.batch))) return false
    // Only the rows that were due, and full batches: a flush that went on for as long as any row was
    // buffered would, under steady load, write a batch of a row or two every few milliseconds
    // instead of one per interval (the rows of one build fold together only while they wait).
    while (this.due > 0 || this.buffer.size >= this.batchSize) {
      const rows = this.buffer.take(this.batchSize)
      this.due = Math.max(0, this.due - rows.length)
      if (!(await this.write({ id: randomUUID(), rows }))) return false
    }
    if (this.droppedUnreported > 0) this.warnDropped()
    return true
  }

  /** Writes a batch; false when the database was unreachable (the batch is then kept aside for the next flush). */
  private async write(batch: Batch<T>): Promise<boolean> {
    this.batch = batch
    this.buffer.reserved = batch.rows.length
    try {
      await this.options.write(batch.rows, batch.id)
      this.unreachable = false
    } catch (err) {
      if (isDatabaseUnavailable(err)) {
        this.unreachable = true
        if (this.shouldWarn())
          this.options.log.warn({ err, buffered: this.buffered }, `${this.options.name}: write failed; rows kept for the next flush`)
        return false
      }
      // The database refused the rows themselves: they would be refused again on every flush and
      // hold back every later row, so they are dropped (inputs are validated; this is the net).
      this.dropped += batch.rows.length
      this.options.log.error(
        { err, dropped: batch.rows.length },
        `${this.options.name}: the database refused a batch; its rows are dropped`
      )
    }
    this.batch = undefined
    this.buffer.reserved = 0
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
