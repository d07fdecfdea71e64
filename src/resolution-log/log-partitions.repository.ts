import { sql, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import { sqlstateOf } from '../db/pg-errors.js'
import {
  LOG_TABLES,
  dayIndexName,
  indexesToBuild,
  partitionDay,
  partitionsFor,
  partitionsToCreate,
  partitionsToDrop,
  type DayPartition,
  type LogTable
} from './log-partitions.js'

// Replicas maintain partitions on the same timer: the one that takes this lock does it, the others
// skip the run. A writer that finds no partition for its rows waits for it instead.
const TRY_LOCK = sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(hashtext('ci-image-store:log-partitions')) as locked`
const LOCK = sql`select pg_advisory_xact_lock(hashtext('ci-image-store:log-partitions'))`
// Creating or dropping a partition locks the whole log table for a moment; waiting long for that
// lock would queue every reader and writer behind the wait. A run that cannot have it soon gives up
// until the next run.
const SET_LOCK_TIMEOUT = sql`set local lock_timeout = '500ms'`
const LOCK_NOT_AVAILABLE = '55P03'

/** The names of a log table's partitions. */
export async function listPartitions(db: Db | Transaction<DB>, table: LogTable): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${table}::regclass`.execute(db)
  return rows.map((r) => r.name)
}

async function createPartition(trx: Transaction<DB>, partition: DayPartition): Promise<void> {
  await sql`create table if not exists ${sql.table(partition.name)} partition of ${sql.table(partition.table)}
    for values from (${sql.lit(partition.from.toISOString())}) to (${sql.lit(partition.to.toISOString())})`.execute(trx)
}

export interface PartitionMaintenance {
  created: string[]
  /** Indexes built on closed days. */
  indexed: string[]
  dropped: string[]
}

/** Closed days indexed per run at most: a first run over a long log stays short, the next runs go on. */
const DAYS_INDEXED_PER_RUN = 2

/**
 * Creates today's partitions and the next days' (PARTITIONS_AHEAD_DAYS), drops the days older than
 * the retention, then builds the indexes of the days that have closed, each in a short transaction
 * of its own (a day past the retention that could not be dropped yet is not indexed). Returns what
 * it did, or undefined when another replica is doing it.
 */
export async function maintainLogPartitions(db: Db, now: Date, retentionDays: number): Promise<PartitionMaintenance | undefined> {
  const created = await db.transaction().execute(async (trx) => {
    if ((await TRY_LOCK.execute(trx)).rows[0]?.locked !== true) return undefined
    await SET_LOCK_TIMEOUT.execute(trx)
    const names: string[] = []
    for (const table of LOG_TABLES) {
      for (const partition of partitionsToCreate(table, new Set(await listPartitions(trx, table)), now)) {
        await createPartition(trx, partition)
        names.push(partition.name)
      }
    }
    return names
  })
  if (created === undefined) return undefined
  const dropped: string[] = []
  for (const table of LOG_TABLES) {
    for (const partition of partitionsToDrop(table, await listPartitions(db, table), now, retentionDays)) {
      if (!(await dropPartition(db, partition))) return { created, indexed: [], dropped }
      dropped.push(partition.name)
    }
  }
  return { created, indexed: await indexClosedDays(db, now), dropped }
}

/** Builds the indexes closed days of the resolution log lack, newest day first; returns their names. */
export async function indexClosedDays(db: Db, now: Date, maxDays = DAYS_INDEXED_PER_RUN): Promise<string[]> {
  const days = (await listPartitions(db, 'resolutions'))
    .map((name) => partitionDay('resolutions', name))
    .filter((p): p is DayPartition => p !== undefined)
    .sort((a, b) => b.from.getTime() - a.from.getTime())
  const { rows } = await sql<{ name: string }>`
    select indexname as name from pg_indexes where tablename = any(${days.map((d) => d.name)}::text[])`.execute(db)
  const existing = new Set(rows.map((r) => r.name))
  const built: string[] = []
  for (const day of days.filter((d) => indexesToBuild(d, existing, now).length > 0).slice(0, maxDays)) {
    for (const index of indexesToBuild(day, existing, now)) {
      const name = dayIndexName(day.name, index)
      const done = await lockedStep(db, (trx) =>
        sql`create index if not exists ${sql.id(name)} on ${sql.table(day.name)} ${sql.raw(index.columns)}`.execute(trx)
      )
      if (!done) return built
      built.push(name)
    }
  }
  return built
}

/** Drops one day; false when its lock could not be had soon (or another replica maintains now). */
const dropPartition = (db: Db, partition: DayPartition): Promise<boolean> =>
  lockedStep(db, (trx) => sql`drop table if exists ${sql.table(partition.name)}`.execute(trx))

/**
 * Runs one step of the maintenance in a transaction of its own, under the maintenance lock and a
 * short lock timeout; false when another replica maintains now or the table's lock was not had soon.
 */
async function lockedStep(db: Db, step: (trx: Transaction<DB>) => Promise<unknown>): Promise<boolean> {
  try {
    return await db.transaction().execute(async (trx) => {
      if ((await TRY_LOCK.execute(trx)).rows[0]?.locked !== true) return false
      await SET_LOCK_TIMEOUT.execute(trx)
      await step(trx)
      return true
    })
  } catch (err) {
    if (sqlstateOf(err) === LOCK_NOT_AVAILABLE) return false
    throw err
  }
}

/**
 * Creates the partitions rows of these times need, waiting for a maintenance run in progress: for a
 * writer whose rows found no partition (maintenance has not run for PARTITIONS_AHEAD_DAYS).
 */
export async function ensurePartitionsFor(db: Db, table: LogTable, times: Iterable<Date>): Promise<void> {
  const partitions = partitionsFor(table, times)
  await db.transaction().execute(async (trx) => {
    await LOCK.execute(trx)
    const existing = new Set(await listPartitions(trx, table))
    for (const partition of partitions) if (!existing.has(partition.name)) await createPartition(trx, partition)
  })
}

/** True for the error of a row that no partition of its table takes. */
export function isMissingPartition(err: unknown): boolean {
  return sqlstateOf(err) === '23514' && err instanceof Error && err.message.includes('no partition of relation')
}
