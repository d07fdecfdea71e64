import type { Database } from '../../db/database.js'
import { notify } from '../../db/notifications.plugin.js'
import { matches } from './matching.js'

/** Replicas hear on this channel that deliveries are due now (new ones, handed back, redelivered). */
export const DELIVERIES_DUE_CHANNEL = 'webhook_deliveries_due'

export type DispatchResult =
  | { kind: 'dispatched'; events: number; deliveries: number; cursor: number }
  /** Another replica holds the cursor: it is dispatching, and will see what we would have. */
  | { kind: 'busy' }

/**
 * Reads the outbox past the cursor (up to `limit` events), creates a delivery for every active
 * subscription each event matches and moves the cursor past them, all in one transaction: a crash
 * loses no event and dispatches none twice. The cursor row is locked SKIP LOCKED, so one replica
 * dispatches at a time and the others return at once. Events are numbered in commit order, so an
 * event committing after this read has an id past the new cursor.
 */
export async function dispatchBatch(db: Database, limit: number): Promise<DispatchResult> {
  return db.transaction().execute(async (trx) => {
    const cursor = await trx
      .selectFrom('webhookDispatchCursor')
      .select('lastEventId')
      .where('id', '=', 1)
      .forUpdate()
      .skipLocked()
      .executeTakeFirst()
    if (!cursor) return { kind: 'busy' }
    const events = await trx
      .selectFrom('imageEvents')
      .select(['id', 'action', 'imageCode', 'ownerProject', 'createdAt'])
      .where('id', '>', cursor.lastEventId)
      .orderBy('id')
      .limit(limit)
      .execute()
    const last = events.at(-1)
    if (last === undefined) return { kind: 'dispatched', events: 0, deliveries: 0, cursor: cursor.lastEventId }

    const subscriptions = await trx
      .selectFrom('webhookSubscriptions')
      .select(['id', 'status', 'eventTypes', 'imageCodes', 'project', 'createdAt'])
      .where('status', '=', 'active')
      .execute()
    const deliveries = events.flatMap((event) => {
      const matchable = { type: event.action, imageCode: event.imageCode, project: event.ownerProject, time: event.createdAt }
      return subscriptions.filter((s) => matches(s, matchable)).map((s) => ({ subscriptionId: s.id, eventId: Number(event.id) }))
    })
    if (deliveries.length > 0) {
      await trx
        .insertInto('webhookDeliveries')
        .values(deliveries)
        .onConflict((oc) => oc.columns(['subscriptionId', 'eventId']).doNothing())
        .execute()
      await notify(trx, DELIVERIES_DUE_CHANNEL, 'dispatched')
    }
    await trx
      .updateTable('webhookDispatchCursor')
      .set({ lastEventId: Number(last.id) })
      .where('id', '=', 1)
      .execute()
    return { kind: 'dispatched', events: events.length, deliveries: deliveries.length, cursor: Number(last.id) }
  })
}
