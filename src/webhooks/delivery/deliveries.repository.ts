import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB, Db } from '../../db/schema.js'
import { notify } from '../../db/notifications.plugin.js'
import type { WebhookDeliveryRow } from '../webhooks.table.js'
import { DELIVERIES_DUE_CHANNEL } from './dispatch-batch.js'

/** The lease a worker holds: attempts grows on every lease, and a redelivery clears locked_by. */
export type DeliveryLease = Pick<WebhookDeliveryRow, 'id' | 'subscriptionId' | 'eventId' | 'lockedBy' | 'attempts'>

/**
 * Takes up to `limit` due deliveries for this worker in one statement, at most one per
 * subscription: a subscription's oldest pending delivery, and only while none of its deliveries is
 * leased, so each receiver gets one request at a time, in event order (a later event waits for an
 * earlier one's retries). Subscriptions that are not active are skipped. SKIP LOCKED lets replicas
 * take different deliveries at once; the lease hands a delivery back when its holder died. The
 * attempt is counted here, so an attempt that crashed its replica still uses up the schedule.
 */
export async function leaseDueDeliveries(db: Db, options: { limit: number; workerId: string; leaseMs: number }): Promise<DeliveryLease[]> {
  if (options.limit <= 0) return []
  const { rows } = await sql<DeliveryLease>`
    update webhook_deliveries d
    set locked_by = ${options.workerId},
        locked_until = now() + ${Math.round(options.leaseMs)} * interval '1 millisecond',
        attempts = d.attempts + 1
    where d.id in (
      select c.id from webhook_deliveries c
      join webhook_subscriptions s on s.id = c.subscription_id
      where c.status = 'pending' and s.status = 'active'
        and c.next_attempt_at <= now()
        and (c.locked_until is null or c.locked_until <= now())
        and not exists (
          select 1 from webhook_deliveries o
          where o.subscription_id = c.subscription_id and o.status = 'pending' and o.event_id < c.event_id)
        and not exists (
          select 1 from webhook_deliveries l
          where l.subscription_id = c.subscription_id and l.status = 'pending' and l.locked_until > now() and l.id <> c.id)
      order by c.next_attempt_at, c.id
      limit ${options.limit}
      for update of c skip locked)
    returning d.id, d.subscription_id, d.event_id, d.locked_by, d.attempts`.execute(db)
  return rows.map((row) => ({ ...row, id: Number(row.id), eventId: Number(row.eventId) }))
}

/**
 * Milliseconds until a subscription's next delivery may be taken (its oldest pending one is due
 * and no lease of its is live), over active subscriptions; undefined when nothing is pending.
 */
export async function msUntilNextDue(db: Db): Promise<number | undefined> {
  const { rows } = await sql<{ ms: number | string | null }>`
    select extract(epoch from min(greatest(
      h.next_attempt_at,
      (select max(l.locked_until) from webhook_deliveries l where l.subscription_id = s.id and l.status = 'pending')
    )) - now()) * 1000 as ms
    from webhook_subscriptions s
    cross join lateral (
      select d.next_attempt_at from webhook_deliveries d
      where d.subscription_id = s.id and d.status = 'pending'
      order by d.event_id limit 1) h
    where s.status = 'active'`.execute(db)
  const ms = rows[0]?.ms
  return ms === null || ms === undefined ? undefined : Math.max(0, Number(ms))
}

/** Locks the delivery row if this worker still holds exactly this lease. */
export async function stillLeased(trx: Transaction<DB>, lease: DeliveryLease): Promise<boolean> {
  const row = await trx
    .selectFrom('webhookDeliveries')
    .select('id')
    .where('id', '=', lease.id)
    .where('lockedBy', '=', lease.lockedBy)
    .where('attempts', '=', lease.attempts)
    .where('status', '=', 'pending')
    .forUpdate()
    .executeTakeFirst()
  return row !== undefined
}

/** What an attempt needs: the event and its subscription as they are now. */
export async function findDeliveryTarget(db: Db, lease: DeliveryLease) {
  const [event, subscription] = await Promise.all([
    db.selectFrom('imageEvents').selectAll().where('id', '=', lease.eventId).executeTakeFirst(),
    db.selectFrom('webhookSubscriptions').selectAll().where('id', '=', lease.subscriptionId).executeTakeFirst()
  ])
  return event && subscription ? { event, subscription } : undefined
}

/**
 * Gives a leased delivery back untouched, due at once, and tells every replica: the attempt was
 * cut short (shutdown) or not made (the subscription was disabled meanwhile), so it does not
 * count; a request cut short keeps a line in the log. Only while this exact lease is held.
 */
export async function handBackDelivery(
  db: Kysely<DB>,
  lease: DeliveryLease,
  /** The attempt that was cut short, for the log; none when no request was made. */
  attempt?: { startedAt: Date; durationMs: number; error: string }
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    if (!(await stillLeased(trx, lease))) return false
    await trx
      .updateTable('webhookDeliveries')
      .set((eb) => ({ nextAttemptAt: sql<Date>`now()`, lockedUntil: null, lockedBy: null, attempts: eb('attempts', '-', 1) }))
      .where('id', '=', lease.id)
      .execute()
    if (attempt) {
      await trx
        .insertInto('webhookDeliveryAttempts')
        .values({ deliveryId: lease.id, attempt: lease.attempts, ...attempt, statusCode: null, outcome: 'handed_back' })
        .execute()
    }
    await notify(trx, DELIVERIES_DUE_CHANNEL, String(lease.id))
    return true
  })
}
