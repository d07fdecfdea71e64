// The request budget verifications share per registry, across every replica: a count of requests
// in the registry's current minute and the time a 429 asked everyone to wait until. One statement
// reserves, so two replicas can never both take the last requests of a minute.
import { sql } from 'kysely'
import type { Db } from '../db/schema.js'

export type Reservation = { ok: true; windowStart: Date; reserved: number } | { ok: false; retryAt: Date; why: 'blocked' | 'exhausted' }

const WINDOW = sql`date_trunc('minute', now())`

/**
 * Takes `cost` requests of the registry's budget for the current minute, or says when to come back:
 * the end of a 429's wait, or the next minute. A cost above the whole budget takes the whole
 * budget, so such a registry is still verified, once a minute.
 */
export async function reserveRequests(db: Db, registry: string, cost: number, perMinute: number): Promise<Reservation> {
  const take = Math.max(1, Math.min(cost, perMinute))
  const { rows } = await sql<{ windowStart: Date }>`
    insert into registry_request_budgets as b (registry, window_start, used)
    values (${registry}, ${WINDOW}, ${take})
    on conflict (registry) do update set
      window_start = ${WINDOW},
      used = case when b.window_start < ${WINDOW} then ${take} else b.used + ${take} end
    where (b.blocked_until is null or b.blocked_until <= now())
      and (case when b.window_start < ${WINDOW} then ${take} else b.used + ${take} end) <= ${perMinute}
    returning b.window_start`.execute(db)
  const reserved = rows[0]
  if (reserved) return { ok: true, windowStart: reserved.windowStart, reserved: take }
  const { rows: state } = await sql<{ blockedUntil: Date | null; nextWindow: Date; now: Date }>`
    select blocked_until, ${WINDOW} + interval '1 minute' as next_window, now() as now
    from registry_request_budgets where registry = ${registry}`.execute(db)
  const row = state[0]
  if (row?.blockedUntil && row.blockedUntil > row.now) return { ok: false, retryAt: row.blockedUntil, why: 'blocked' }
  return { ok: false, retryAt: row?.nextWindow ?? new Date(Date.now() + 60_000), why: 'exhausted' }
}

/** What a verification really sent (token requests vary): the minute's count is corrected. */
export async function settleRequests(
  db: Db,
  registry: string,
  reservation: { windowStart: Date; reserved: number },
  sent: number
): Promise<void> {
  const delta = sent - reservation.reserved
  if (delta === 0) return
  await sql`
    update registry_request_budgets set used = greatest(0, used + ${delta})
    where registry = ${registry} and window_start = ${reservation.windowStart}`.execute(db)
}

/** A 429: no replica sends the registry a verification request before `ms` from now. */
export async function blockRegistry(db: Db, registry: string, ms: number): Promise<Date> {
  const { rows } = await sql<{ blockedUntil: Date }>`
    insert into registry_request_budgets as b (registry, window_start, used, blocked_until)
    values (${registry}, ${WINDOW}, 0, now() + ${Math.max(0, Math.round(ms))} * interval '1 millisecond')
    on conflict (registry) do update set
      blocked_until = greatest(coalesce(b.blocked_until, now()), excluded.blocked_until)
    returning b.blocked_until`.execute(db)
  return rows[0]?.blockedUntil ?? new Date(Date.now() + ms)
}
