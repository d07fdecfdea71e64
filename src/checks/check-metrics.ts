import { sql } from 'kysely'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { ScrapeReading } from '../metrics/scrape-reading.js'
import type { Db } from '../db/schema.js'
import type { CheckObserver, FinishedCheck } from './check-worker.js'

const CLASSES = new Set(['not_found', 'unauthorized', 'rate_limited', 'unavailable', 'invalid', 'refused', 'unsigned'])
const STATES = ['due', 'scheduled', 'running'] as const

interface QueueState {
  due: number
  scheduled: number
  running: number
  /** Seconds the oldest due job has waited; 0 with none due. */
  oldestDueAge: number
}

/** One statement over the pullability checks (few at a time): every job is due, waiting for a retry, or leased. */
async function readQueue(db: Db): Promise<QueueState> {
  const { rows } = await sql<Record<keyof QueueState, string | number | null>>`
    select
      count(*) filter (where locked_until > now()) as running,
      count(*) filter (where run_at <= now() and (locked_until is null or locked_until <= now())) as due,
      count(*) filter (where run_at > now() and (locked_until is null or locked_until <= now())) as scheduled,
      coalesce(extract(epoch from now() - min(run_at) filter (where run_at <= now() and (locked_until is null or locked_until <= now()))), 0) as oldest_due_age
    from check_jobs
    where kind = 'pullability'`.execute(db)
  const row = rows[0]
  return {
    due: Number(row?.due ?? 0),
    scheduled: Number(row?.scheduled ?? 0),
    running: Number(row?.running ?? 0),
    oldestDueAge: Number(row?.oldestDueAge ?? 0)
  }
}

/**
 * Check runs by result and failure class and how long they took (told by the worker), and the
 * queue read when scraped: at most one query in flight, answered within a budget or
 * replaced by the last known state, so a database outage never fails or stalls a scrape.
 */
export class CheckMetrics implements CheckObserver {
  readonly #runs: Counter<'result' | 'class'>
  readonly #duration: Histogram<'result'>

  constructor(registry: Registry, db: Db) {
    const registers = [registry]
    this.#runs = new Counter({
      name: 'ci_image_store_checks_total',
      help: 'Pullability check runs by result (testing = pullable, check_failed, retry, dropped, error) and failure class (none when it passed)',
      labelNames: ['result', 'class'],
      registers
    })
    this.#duration = new Histogram({
      name: 'ci_image_store_check_duration_seconds',
      help: 'Time one pullability check run took, registry requests and recording included, by result',
      labelNames: ['result'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60],
      registers
    })
    // Every gauge of one scrape shares one query.
    const reading = new ScrapeReading(() => readQueue(db))
    new Gauge({
      name: 'ci_image_store_check_queue_jobs',
      help: 'Check jobs by state: due (waiting for a worker), scheduled (a retry later), running (leased)',
      labelNames: ['state'],
      registers,
      async collect() {
        await reading.refresh()
        const queue = reading.known
        if (queue) for (const state of STATES) this.set({ state }, queue[state])
      }
    })
    new Gauge({
      name: 'ci_image_store_check_queue_oldest_due_age_seconds',
      help: 'How long the oldest due check job has waited for a worker (0 when none is due)',
      registers,
      async collect() {
        await reading.refresh()
        this.set(reading.known?.oldestDueAge ?? 0)
      }
    })
  }

  checkFinished({ result, checkClass, durationSeconds }: FinishedCheck): void {
    const cls = checkClass === undefined ? 'none' : CLASSES.has(checkClass) ? checkClass : 'other'
    this.#runs.inc({ result, class: cls })
    this.#duration.observe({ result }, durationSeconds)
  }
}
