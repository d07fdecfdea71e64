import type { Database } from '../db/database.js'
import type { Principal } from '../auth/scopes.js'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { conflict, notFound } from '../http/problem.js'
import { findDelivery, listAttempts, listDeliveries, lockDelivery, resetDelivery, type DeliveryListRow } from './deliveries.repository.js'
import type { ListDeliveriesQuery, WebhookDelivery, WebhookDeliveryDetail } from './deliveries.schemas.js'
import { getWebhook, manageableWebhook } from './webhooks.service.js'
import type { WebhookDeliveryAttemptRow } from './webhooks.table.js'

export function toDelivery(row: DeliveryListRow): WebhookDelivery {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    lastDurationMs: row.lastDurationMs,
    nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null
  }
}

const toAttempt = (row: WebhookDeliveryAttemptRow) => ({
  attempt: row.attempt,
  startedAt: row.startedAt.toISOString(),
  durationMs: row.durationMs,
  statusCode: row.statusCode,
  error: row.error,
  outcome: row.outcome
})

const deliveryNotFound = (subscriptionId: string, deliveryId: number) =>
  notFound('WEBHOOK_DELIVERY_NOT_FOUND', `Webhook subscription ${subscriptionId} has no delivery ${deliveryId}.`)

export async function listDeliveriesPage(
  db: Database,
  p: Principal,
  subscriptionId: string,
  query: ListDeliveriesQuery
): Promise<{ items: WebhookDelivery[]; nextCursor: string | null }> {
  await getWebhook(db, p, subscriptionId)
  const before = query.cursor ? decodeCursor(query.cursor, ['id'] as const)[0] : undefined
  const rows = await listDeliveries(db, subscriptionId, { status: query.status }, query.limit + 1, before)
  return keysetPage(rows, query.limit, toDelivery, (last) => [last.id])
}

export async function getDeliveryDetail(
  db: Database,
  p: Principal,
  subscriptionId: string,
  deliveryId: number
): Promise<WebhookDeliveryDetail> {
  await getWebhook(db, p, subscriptionId)
  const row = await findDelivery(db, subscriptionId, deliveryId)
  if (!row) throw deliveryNotFound(subscriptionId, deliveryId)
  return { ...toDelivery(row), attemptLog: (await listAttempts(db, deliveryId)).map(toAttempt) }
}

/**
 * Sends a delivery again from its first attempt, whatever became of it. A delivery whose attempt is
 * under way right now is refused rather than reset under the worker that holds it.
 */
export async function redeliver(db: Database, p: Principal, subscriptionId: string, deliveryId: number): Promise<WebhookDelivery> {
  return db.transaction().execute(async (trx) => {
    const subscription = await manageableWebhook(trx, p, subscriptionId)
    const delivery = await lockDelivery(trx, subscriptionId, deliveryId)
    if (!delivery) throw deliveryNotFound(subscriptionId, deliveryId)
    if (subscription.status !== 'active') {
      throw conflict(
        'WEBHOOK_DISABLED',
        `Webhook subscription ${subscriptionId} is disabled (${subscription.disabledReason ?? 'no reason recorded'}); re-enable it with PATCH {"status": "active"}, then redeliver.`
      )
    }
    if (delivery.status === 'pending' && delivery.leaseLive) {
      throw conflict('WEBHOOK_DELIVERY_IN_PROGRESS', `Delivery ${deliveryId} is being attempted right now; look at it again in a moment.`)
    }
    await resetDelivery(trx, deliveryId)
    // Read before the commit: once it lands a worker may take the delivery at once.
    const row = await findDelivery(trx, subscriptionId, deliveryId)
    if (!row) throw deliveryNotFound(subscriptionId, deliveryId)
    return toDelivery(row)
  })
}
