import { sql } from 'kysely'
import { Counter, Gauge, type Registry } from 'prom-client'
import { ScrapeReading } from '../metrics/scrape-reading.js'
import type { Db } from '../db/schema.js'
import type { FinishedVerification, VerificationObserver } from './verification-worker.js'

const OUTCOMES = [
  'verified',
  'drifted',
  'drift_cleared',
  'digest_missing',
  'unavailable',
  'available',
  'signature_invalid',
  'failed',
  'rate_limited',
  'deferred'
] as const

interface QueueState {
  due: number
  /** Seconds the oldest due verification has waited; 0 with none due. */
  oldestDueAge: number
}

/** Due verification jobs (walks the kind/run_at index: only the due ones are read). */
async function readQueue(db: Db): Promise<QueueState> {
  const { rows } = await sql<{ due: string | number | null; oldestDueAge: string | number | null }>`
    select count(*) as due, coalesce(extract(epoch from now() - min(run_at)), 0) as oldest_due_age
    from check_jobs
    where kind = 'verification' and run_at <= now() and (locked_until is null or locked_until <= now())`.execute(db)
  return { due: Number(rows[0]?.due ?? 0), oldestDueAge: Number(rows[0]?.oldestDueAge ?? 0) }
}

/**
 * Verifications by what they found (told by the worker), the registry requests they sent, and the
 * queue read when scraped, within a budget or the last known state, as check-metrics does.
 */
export class VerificationMetrics implements VerificationObserver {
  readonly #runs: Counter<'outcome'>
  readonly #requests: Counter

  constructor(registry: Registry, db: Db) {
    const registers = [registry]
    this.#runs = new Counter({
      name: 'ci_image_store_verifications_total',
      help: 'Re-verifications by outcome: verified (nothing changed), drifted, drift_cleared, digest_missing (a 404 of the pinned digest), unavailable, available, signature_invalid, failed, rate_limited, deferred (the registry budget had no room); one run may count several outcomes',
      labelNames: ['outcome'],
      registers
    })
    for (const outcome of OUTCOMES) this.#runs.inc({ outcome }, 0)
    this.#requests = new Counter({
      name: 'ci_image_store_verification_registry_requests_total',
      help: 'Registry requests sent by re-verifications (token requests included)',
      registers
    })
    // Every gauge of one scrape shares one query.
    const reading = new ScrapeReading(() => readQueue(db))
    new Gauge({
      name: 'ci_image_store_verification_queue_due_jobs',
      help: 'Verification jobs due and waiting for a worker',
      registers,
      async collect() {
        await reading.refresh()
        this.set(reading.known?.due ?? 0)
      }
    })
    new Gauge({
      name: 'ci_image_store_verification_queue_oldest_due_age_seconds',
      help: 'How long the oldest due verification has waited for a worker (0 when none is due)',
      registers,
      async collect() {
        await reading.refresh()
        this.set(reading.known?.oldestDueAge ?? 0)
      }
    })
  }

  verificationFinished({ outcomes, requests }: FinishedVerification): void {
    for (const outcome of outcomes) if ((OUTCOMES as readonly string[]).includes(outcome)) this.#runs.inc({ outcome })
    if (requests > 0) this.#requests.inc(requests)
  }
}
