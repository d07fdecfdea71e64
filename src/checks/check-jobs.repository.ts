import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import { notify } from '../db/notifications.plugin.js'
import type { CheckJobRow, JobKind } from './check-jobs.table.js'

const msFromNow = (ms: number) => sql<Date>`now() + ${Math.max(0, Math.round(ms))} * interval '1 millisecond'`

/**
 * Queues a check of a version; call it in the transaction that moves the version to `checking`.
 * One job per version: a re-check resets the existing one and gives it a new id, so a worker still
 * holding the old lease cannot apply its stale result (see stillLeased).
 */
export async function enqueueCheck(db: Db, versionId: string): Promise<void> {
  await db
    .insertInto('checkJobs')
    .values({ versionId })
    .onConflict((oc) =>
      oc
        .columns(['versionId', 'kind'])
        .doUpdateSet({ id: sql`default`, attempts: 0, runAt: sql`now()`, lockedUntil: null, lockedBy: null, lastError: null })
    )
    .execute()
}

/**
 * Takes up to `limit` due jobs for this worker in one statement. SKIP LOCKED lets replicas take
 * different jobs at once; the lease (locked_until) hands a job back when its holder died. The
 * attempt is counted here, so a check that crashes its replica still uses up attempts.
 */
export async function leaseDueJobs(
  db: Db,
  options: { limit: number; workerId: string; leaseMs: number; kind?: JobKind }
): Promise<CheckJobRow[]> {
  if (options.limit <= 0) return []
  return db
    .updateTable('checkJobs')
    .set((eb) => ({ lockedUntil: msFromNow(options.leaseMs), lockedBy: options.workerId, attempts: eb('attempts', '+', 1) }))
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('checkJobs')
        .select('id')
        .where('kind', '=', options.kind ?? 'pullability')
        .where('runAt', '<=', sql<Date>`now()`)
        .where((w) => w.or([w('lockedUntil', 'is', null), w('lockedUntil', '<=', sql<Date>`now()`)]))
        .orderBy('runAt')
        .orderBy('id')
        .limit(options.limit)
        .forUpdate()
        .skipLocked()
    )
    .returningAll()
    .execute()
}

/** The lease a worker holds: the job id changes on re-enqueue and attempts on every lease. */
export type JobLease = Pick<CheckJobRow, 'id' | 'lockedBy' | 'attempts'>

/** Locks the job row if this worker still holds exactly this lease. */
export async function stillLeased(trx: Transaction<DB>, lease: JobLease): Promise<boolean> {
  const row = await trx
    .selectFrom('checkJobs')
    .select('id')
    .where('id', '=', lease.id)
    .where('lockedBy', '=', lease.lockedBy)
    .where('attempts', '=', lease.attempts)
    .forUpdate()
    .executeTakeFirst()
  return row !== undefined
}

export async function deleteJob(db: Db, id: number): Promise<void> {
  await db.deleteFrom('checkJobs').where('id', '=', id).execute()
}

/** Every job of the version, of either kind: it will not be checked nor verified again. */
export async function deleteJobOfVersion(db: Db, versionId: string): Promise<void> {
  await db.deleteFrom('checkJobs').where('versionId', '=', versionId).execute()
}

/** Hands the job back to the queue, due again after `delayMs`. */
export async function rescheduleJob(db: Db, id: number, delayMs: number, lastError: string): Promise<void> {
  await db
    .updateTable('checkJobs')
    .set({ runAt: msFromNow(delayMs), lockedUntil: null, lockedBy: null, lastError })
    .where('id', '=', id)
    .execute()
}

/** Replicas hear on this channel that a job is due now, without waiting for their poll. */
export const CHECK_JOBS_DUE_CHANNEL = 'check_jobs_due'

/**
 * Gives a leased job back untouched, due at once, and tells every replica: the run was cut short
 * (shutdown), so its attempt does not count. Only while this exact lease is held: a job re-enqueued
 * meanwhile is left as it is.
 */
export async function handBackJob(db: Kysely<DB>, lease: JobLease): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const handed = await trx
      .updateTable('checkJobs')
      .set((eb) => ({ runAt: sql<Date>`now()`, lockedUntil: null, lockedBy: null, attempts: eb('attempts', '-', 1) }))
      .where('id', '=', lease.id)
      .where('lockedBy', '=', lease.lockedBy)
      .where('attempts', '=', lease.attempts)
      .executeTakeFirst()
    if (handed.numUpdatedRows === 0n) return false
    await notify(trx, CHECK_JOBS_DUE_CHANNEL, String(lease.id))
    return true
  })
}
