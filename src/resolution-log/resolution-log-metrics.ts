import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

/** The two buffered logs, as they appear in the `log` label. */
export type LogName = 'resolutions' | 'pull_secret_grants'
const LOGS: LogName[] = ['resolutions', 'pull_secret_grants']

/** What the metrics read of a log when scraped. */
export interface BufferedLogs {
  bufferedIn(log: LogName): number
  droppedIn(log: LogName): number
}

/**
 * The resolution log and the pull-secret grants: rows waiting, written, dropped and how long a
 * batch write takes. Writes are off the request path, so prom-client's own metrics do.
 */
export class ResolutionLogMetrics {
  readonly #written: Counter<'log'>
  readonly #writeDuration: Histogram<'log'>
  #logs: BufferedLogs | undefined

  constructor(registry: Registry) {
    const registers = [registry]
    const logs = () => this.#logs
    this.#written = new Counter({
      name: 'ci_image_store_resolution_log_rows_written_total',
      help: 'Rows written to the resolution log and the pull-secret grants',
      labelNames: ['log'],
      registers
    })
    this.#writeDuration = new Histogram({
      name: 'ci_image_store_resolution_log_write_duration_seconds',
      help: 'Time one batch write took, whether it succeeded or not',
      labelNames: ['log'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers
    })
    new Gauge({
      name: 'ci_image_store_resolution_log_buffered_rows',
      help: 'Rows waiting in memory to be written (they grow while the database is slow or away)',
      labelNames: ['log'],
      registers,
      collect() {
        const source = logs()
        for (const log of LOGS) if (source) this.set({ log }, source.bufferedIn(log))
      }
    })
    new Counter({
      name: 'ci_image_store_resolution_log_rows_dropped_total',
      help: 'Rows lost because the buffer was full, or because the database refused them',
      labelNames: ['log'],
      registers,
      // The writers count drops themselves; the counter mirrors their running totals when scraped.
      collect() {
        const source = logs()
        if (!source) return
        this.reset()
        for (const log of LOGS) this.inc({ log }, source.droppedIn(log))
      }
    })
    for (const log of LOGS) this.#written.inc({ log }, 0)
  }

  /** The logs whose depth and drops are reported. */
  watch(logs: BufferedLogs): void {
    this.#logs = logs
  }

  /** Wraps a batch write so its rows and duration are counted. */
  timed<T>(log: LogName, write: (rows: T[], batchId: string) => Promise<void>): (rows: T[], batchId: string) => Promise<void> {
    const written = this.#written.labels(log)
    const duration = this.#writeDuration.labels(log)
    return async (rows, batchId) => {
      const end = duration.startTimer()
      try {
        await write(rows, batchId)
        written.inc(rows.length)
      } finally {
        end()
      }
    }
  }
}
