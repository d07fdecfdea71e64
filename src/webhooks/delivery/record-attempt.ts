import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/schema.js'
import { insertProjectEvent } from '../../events/events.repository.js'
import type { AttemptOutcome } from '../webhooks.table.js'
import { stillLeased, type DeliveryLease } from './deliveries.repository.js'

/** Who disables a subscription, in its webhook.disabled event. */
export const DELIVERY_ACTOR = { name: 'webhook-delivery', tokenId: null, projects: null } as const

export interface AttemptRecord {
  startedAt: Date
  durationMs: number
  statusCode: number | null
  error: string | null
}

/** What becomes of the delivery after the attempt. */
export type Next =
  | { outcome: 'succeeded' }
  | { outcome: 'retry'; delayMs: number }
  /**
   * Given up: the receiver said 410 (gone), or the schedule is used up (failed); the subscription
   * is disabled for that reason. Without one (the event is gone) only the delivery fails.
   */
  | { outcome: 'gone' | 'failed'; disabledReason?: string }

const msFromNow = (ms: number) => sql<Date>`now() + ${Math.max(0, Math.round(ms))} * interval '1 millisecond'`

/**
 * Records an attempt and its consequence in one transaction, if this worker still holds the
 * lease (a redelivery or an expired lease taken by another replica wins): the attempt's line, the
 * delivery's state and last_* columns, the subscription's failing_since, and when the delivery is
 * given up, the subscription disabled with a webhook.disabled event. Returns false when the lease
 * was lost and nothing was written.
 */
export async function recordAttempt(db: Kysely<DB>, lease: DeliveryLease, attempt: AttemptRecord, next: Next): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await stillLeased(trx, lease))) return false
    const outcome: AttemptOutcome = next.outcome
    await trx
      .insertInto('webhookDeliveryAttempts')
      .values({ deliveryId: lease.id, attempt: lease.attempts, ...attempt, outcome })
      .execute()
    const last = {
      lockedBy: null,
      lockedUntil: null,
      lastStatusCode: attempt.statusCode,
      lastError: attempt.error,
      lastDurationMs: attempt.durationMs,
      lastAttemptAt: attempt.startedAt
    }
    const subscription = trx.updateTable('webhookSubscriptions').where('id', '=', lease.subscriptionId)
    if (next.outcome === 'succeeded') {
      await trx
        .updateTable('webhookDeliveries')
        .set({ ...last, status: 'succeeded', completedAt: sql<Date>`now()` })
        .where('id', '=', lease.id)
        .execute()
      await subscription.set({ failingSince: null }).where('failingSince', 'is not', null).execute()
      return true
    }
    if (next.outcome === 'retry') {
      await trx
        .updateTable('webhookDeliveries')
        .set({ ...last, nextAttemptAt: msFromNow(next.delayMs) })
        .where('id', '=', lease.id)
        .execute()
      await subscription
        .set({ failingSince: sql<Date>`now()` })
        .where('failingSince', 'is', null)
        .execute()
      return true
    }
    await trx
      .updateTable('webhookDeliveries')
      .set({ ...last, status: 'failed', completedAt: sql<Date>`now()` })
      .where('id', '=', lease.id)
      .execute()
    if (next.disabledReason === undefined) return true
    const disabled = await subscription
      .set({
        status: 'disabled',
        disabledReason: next.disabledReason,
        disabledAt: sql<Date>`now()`,
        failingSince: sql<Date>`coalesce(failing_since, now())`,
        updatedAt: sql<Date>`now()`
      })
      .where('status', '=', 'active')
      .returning(['id', 'url', 'project'])
      .executeTakeFirst()
    // Disabled meanwhile by its owner: that was said already.
    if (disabled) {
      await insertProjectEvent(trx, {
        ownerProject: disabled.project,
        action: 'webhook.disabled',
        actor: DELIVERY_ACTOR,
        details: { subscriptionId: disabled.id, url: disabled.url, reason: next.disabledReason, deliveryId: lease.id }
      })
    }
    return true
  })
}
