import type { FastifyBaseLogger } from 'fastify'
import { BatchWriter } from './batch-writer.js'
import type { GrantRecord, ResolutionRecord } from './log-inserts.js'
import type { LogWriter } from './log-writer.js'
import { resolutionCoalescing } from './resolution-coalescing.js'
import type { BufferedLogs, LogName, ResolutionLogMetrics } from './resolution-log-metrics.js'

export type { GrantRecord, ResolutionRecord }

/** What resolve hands the log. Both calls only buffer: they never wait and never throw. */
export interface ResolutionLog {
  /** A resolution was answered. */
  resolved(record: ResolutionRecord): void
  /** A pull secret was handed out. */
  granted(record: GrantRecord): void
}

/**
 * The resolution log and the pull-secret grants, each written off the request path in batches
 * (see BatchWriter), resolutions folded while they wait (see resolutionCoalescing).
 */
export class BufferedResolutionLog implements ResolutionLog, BufferedLogs {
  private readonly resolutions: BatchWriter<ResolutionRecord>
  private readonly grants: BatchWriter<GrantRecord>

  /** `writer` writes the batches: see logWriterFor. */
  constructor(writer: LogWriter, log: FastifyBaseLogger, metrics?: ResolutionLogMetrics) {
    const writeResolutions = (rows: ResolutionRecord[], batchId: string) => writer.resolutions(rows, batchId)
    const writeGrants = (rows: GrantRecord[], batchId: string) => writer.grants(rows, batchId)
    this.resolutions = new BatchWriter({
      name: 'resolution log',
      log,
      write: metrics ? metrics.timed('resolutions', writeResolutions) : writeResolutions,
      batchSize: writer.batchSize,
      coalesce: resolutionCoalescing
    })
    this.grants = new BatchWriter({
      name: 'pull-secret grants',
      log,
      write: metrics ? metrics.timed('pull_secret_grants', writeGrants) : writeGrants,
      batchSize: writer.batchSize
    })
    metrics?.watch(this)
  }

  resolved(record: ResolutionRecord): void {
    this.resolutions.push(record)
  }

  granted(record: GrantRecord): void {
    this.grants.push(record)
  }

  /** Writes what is pending now. */
  async flush(): Promise<void> {
    await Promise.all([this.resolutions.flush(), this.grants.flush()])
  }

  /** Rows dropped since start because the buffer was full (or the database refused them). */
  get dropped(): number {
    return this.resolutions.dropped + this.grants.dropped
  }

  /** Rows waiting to be written. */
  get buffered(): number {
    return this.resolutions.buffered + this.grants.buffered
  }

  droppedIn(log: LogName): number {
    return this.writer(log).dropped
  }

  bufferedIn(log: LogName): number {
    return this.writer(log).buffered
  }

  private writer(log: LogName): BatchWriter<ResolutionRecord> | BatchWriter<GrantRecord> {
    return log === 'resolutions' ? this.resolutions : this.grants
  }

  /** Final flush on shutdown. */
  async close(): Promise<void> {
    await Promise.all([this.resolutions.close(), this.grants.close()])
  }
}
