import { sql, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import type { Database } from '../db/database.js'
import { notify } from '../db/notifications.plugin.js'
import { DELIVERIES_DUE_CHANNEL } from './delivery/dispatch-batch.js'
import type { DeliveryStatus, WebhookDeliveryAttemptRow, WebhookDeliveryRow } from './webhooks.table.js'

export type DeliveryListRow = WebhookDeliveryRow & { eventType: string | null }

const withEventType = (db: Db) =>
  db
    .selectFrom('webhookDeliveries')
    .leftJoin('imageEvents', 'imageEvents.id', 'webhookDeliveries.eventId')
    .selectAll('webhookDeliveries')
    .select('imageEvents.action as eventType')

/** A subscription's deliveries, newest first, keyset-paged on id. */
export async function listDeliveries(
  db: Db,
  subscriptionId: string,
  filter: { status?: DeliveryStatus | undefined },
  limit: number,
  beforeId?: number
): Promise<DeliveryListRow[]> {
  let query = withEventType(db)
    .where('webhookDeliveries.subscriptionId', '=', subscriptionId)
    .orderBy('webhookDeliveries.id', 'desc')
    .limit(limit)
  if (filter.status !== undefined) query = query.where('webhookDeliveries.status', '=', filter.status)
  if (beforeId !== undefined) query = query.where('webhookDeliveries.id', '<', beforeId)
  return query.execute()
}

export async function findDelivery(db: Db, subscriptionId: string, deliveryId: number): Promise<DeliveryListRow | undefined> {
  return withEventType(db)
    .where('webhookDeliveries.subscriptionId', '=', subscriptionId)
    .where('webhookDeliveries.id', '=', deliveryId)
    .executeTakeFirst()
}

export async function listAttempts(db: Db, deliveryId: number): Promise<WebhookDeliveryAttemptRow[]> {
  return db.selectFrom('webhookDeliveryAttempts').selectAll().where('deliveryId', '=', deliveryId).orderBy('id').execute()
}

/** Locks a delivery; `leaseLive` says whether a worker holds it now, by the database's clock as workers judge it. */
export async function lockDelivery(
  trx: Transaction<DB>,
  subscriptionId: string,
  deliveryId: number
): Promise<(WebhookDeliveryRow & { leaseLive: boolean }) | undefined> {
  return trx
    .selectFrom('webhookDeliveries')
    .selectAll()
    .select(sql<boolean>`coalesce(locked_until > now(), false)`.as('leaseLive'))
    .where('subscriptionId', '=', subscriptionId)
    .where('id', '=', deliveryId)
    .forUpdate()
    .executeTakeFirst()
}

/**
 * Makes a delivery due now with a fresh attempt count, and wakes the workers when the transaction
 * commits. Its attempt log is kept: the new attempts follow the old ones. The last_* columns are
 * cleared, so until its next attempt the delivery reads as what it is, pending and not yet tried,
 * rather than as the failure it was redelivered after.
 */
export async function resetDelivery(trx: Transaction<DB>, deliveryId: number): Promise<void> {
  await trx
    .updateTable('webhookDeliveries')
    .set({
      status: 'pending',
      attempts: 0,
      nextAttemptAt: sql<Date>`now()`,
      lockedBy: null,
      lockedUntil: null,
      completedAt: null,
      lastStatusCode: null,
      lastError: null,
      lastDurationMs: null,
      lastAttemptAt: null
    })
    .where('id', '=', deliveryId)
    .execute()
  // Delivery workers on every replica wake on it.
  await notify(trx, DELIVERIES_DUE_CHANNEL, String(deliveryId))
}

// Replicas prune on the same timer; the one that takes this lock prunes a batch, the others skip it.
const PRUNE_LOCK = sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('ci-image-store:webhook-delivery-pruning')) as locked`

/**
 * Deletes up to `batch` finished deliveries completed before `olderThan` (their attempts go with
 * them), in one short transaction. Returns how many, or undefined when another replica holds the lock.
 */
export async function pruneFinishedDeliveries(db: Database, olderThan: Date, batch: number): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await PRUNE_LOCK.execute(trx)
    if (rows[0]?.locked !== true) return undefined
    const result = await sql`
      delete from webhook_deliveries where id = any(array(
        select id from webhook_deliveries
        where completed_at is not null and completed_at < ${olderThan.toISOString()}::timestamptz and status <> 'pending'
        order by completed_at limit ${batch}))`.execute(trx)
    return Number(result.numAffectedRows ?? 0)
  })
}
