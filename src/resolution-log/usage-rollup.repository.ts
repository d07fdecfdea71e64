import { sql } from 'kysely'
import type { Db } from '../db/schema.js'
import { DAY_MS, partitionDay } from './log-partitions.js'
import { ensurePartitionsFor, listPartitions } from './log-partitions.repository.js'
import { daysToRollUp } from './usage-rollup.js'

const ROLLUP = 'resolution_usage_days'
// One replica sums a day; the others skip it (the sum is the same whoever makes it).
const TRY_LOCK = sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('ci-image-store:usage-rollup')) as locked`

/** Every day before this is in the summary; undefined before the first day was summed. */
export async function rolledUntil(db: Db): Promise<Date | undefined> {
  const row = await db.selectFrom('logRollups').select('rolledUntil').where('name', '=', ROLLUP).executeTakeFirst()
  return row ? new Date(row.rolledUntil) : undefined
}

/**
 * Sums one day of the log into the summary (again, if it was summed before: the same result) and
 * moves the mark past it, in one transaction. False when another replica is summing.
 */
export async function rollUpDay(db: Db, day: Date): Promise<boolean> {
  await ensurePartitionsFor(db, 'resolution_usage_days', [day])
  const from = day.toISOString()
  const to = new Date(day.getTime() + DAY_MS).toISOString()
  return db.transaction().execute(async (trx) => {
    if ((await TRY_LOCK.execute(trx)).rows[0]?.locked !== true) return false
    await sql`delete from resolution_usage_days where day = ${from}::timestamptz`.execute(trx)
    await sql`
      insert into resolution_usage_days (day, image_id, version, project, resolutions, last_resolved_at)
      select ${from}::timestamptz, image_id, version, project, sum(count), max(resolved_at)
      from resolutions where resolved_at >= ${from}::timestamptz and resolved_at < ${to}::timestamptz
      group by image_id, version, project`.execute(trx)
    await sql`
      insert into log_rollups (name, rolled_until) values (${ROLLUP}, ${to}::timestamptz)
      on conflict (name) do update set rolled_until = greatest(log_rollups.rolled_until, excluded.rolled_until)`.execute(trx)
    return true
  })
}

/** Sums the closed days not summed yet (a few per run); returns how many. */
export async function rollUpClosedDays(db: Db, now: Date): Promise<number> {
  const until = await rolledUntil(db)
  const oldest = until
    ? undefined
    : (await listPartitions(db, 'resolutions'))
        .map((name) => partitionDay('resolutions', name)?.from)
        .filter((from): from is Date => from !== undefined)
        .sort((a, b) => a.getTime() - b.getTime())[0]
  let rolled = 0
  for (const day of daysToRollUp(until, oldest, now)) {
    if (!(await rollUpDay(db, day))) break
    rolled++
  }
  return rolled
}
