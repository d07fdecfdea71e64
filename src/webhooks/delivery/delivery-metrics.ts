import { sql } from 'kysely'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { ScrapeReading } from '../../metrics/scrape-reading.js'
import type { Db } from '../../db/schema.js'
import type { DeliveryObserver, FinishedAttempt } from './delivery-worker.js'

interface Backlog {
  pending: number
  /** Seconds since the oldest event not yet delivered was written (0 with none). */
  oldestUndeliveredAge: number
}

/**
 * One statement: pending deliveries of active subscriptions (a disabled one's wait for it, not for
 * us), and the oldest event still owed to a receiver, or not yet dispatched at all. Events are
 * numbered in commit order, so the smallest pending event id is the oldest, found on the index.
 */
async function readBacklog(db: Db): Promise<Backlog> {
  const { rows } = await sql<{ pending: number | string; oldestUndeliveredAge: number | string | null }>`
    with pending as (
      select d.event_id from webhook_deliveries d
      join webhook_subscriptions s on s.id = d.subscription_id and s.status = 'active'
      where d.status = 'pending')
    select
      (select count(*) from pending) as pending,
      extract(epoch from now() - least(
        (select created_at from image_events where id = (select min(event_id) from pending)),
        (select created_at from image_events where id > (select last_event_id from webhook_dispatch_cursor where id = 1)
          order by id limit 1)
      )) as oldest_undelivered_age`.execute(db)
  const row = rows[0]
  return { pending: Number(row?.pending ?? 0), oldestUndeliveredAge: Math.max(0, Number(row?.oldestUndeliveredAge ?? 0)) }
}

/**
 * Attempts by outcome and delivery lag (told by the worker), and the backlog read when scraped:
 * at most one query in flight, answered within a budget or replaced by the last known
 * state, so a database outage never fails or stalls a scrape.
 */
export class DeliveryMetrics implements DeliveryObserver {
  readonly #attempts: Counter<'outcome'>
  readonly #lag: Histogram

  constructor(registry: Registry, db: Db) {
    const registers = [registry]
    this.#attempts = new Counter({
      name: 'ci_image_store_webhook_attempts_total',
      help: 'Webhook delivery attempts by outcome: succeeded, retry, failed (schedule used up), gone (410), handed_back (shutdown), lost (lease taken over), error (not recorded)',
      labelNames: ['outcome'],
      registers
    })
    this.#lag = new Histogram({
      name: 'ci_image_store_webhook_delivery_lag_seconds',
      help: "Time from an event's commit to its receiver's 2xx, retries included",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200, 36_000, 86_400, 259_200],
      registers
    })
    // Every gauge of one scrape shares one query.
    const reading = new ScrapeReading(() => readBacklog(db))
    new Gauge({
      name: 'ci_image_store_webhook_deliveries_pending',
      help: 'Webhook deliveries of active subscriptions not yet made (due, waiting for a retry, or under way)',
      registers,
      async collect() {
        await reading.refresh()
        const backlog = reading.known
        if (backlog) this.set(backlog.pending)
      }
    })
    new Gauge({
      name: 'ci_image_store_webhook_oldest_undelivered_event_age_seconds',
      help: 'Age of the oldest event still owed to an active subscription or not yet dispatched (0 when none)',
      registers,
      async collect() {
        await reading.refresh()
        this.set(reading.known?.oldestUndeliveredAge ?? 0)
      }
    })
  }

  attemptFinished({ outcome, lagSeconds }: FinishedAttempt): void {
    this.#attempts.inc({ outcome })
    if (lagSeconds !== undefined) this.#lag.observe(Math.max(0, lagSeconds))
  }
}
