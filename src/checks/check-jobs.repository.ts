import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import { notify } from '../db/notifications.plugin.js'
import { VERIFIED_STATUSES } from '../versions/verification-transitions.js'
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

// Re-verification jobs: one per version in a verified status (testing, awaiting approval, released), never deleted when they run but due
// again later, so the functions below keep the job and only move its run_at.

const verified = sql.join(VERIFIED_STATUSES.map((status) => sql.lit(status)))

/**
 * Gives every version in a verified status with a digest its verification job, the first run spread
 * uniformly over one interval so a fleet of versions (or a fresh deployment) does not verify all at
 * once, and drops the jobs of versions that left those statuses. Safe on every replica at once.
 */
export async function sweepVerificationJobs(db: Db, intervalMs: number): Promise<{ created: number; dropped: number }> {
  const created = await sql`
    insert into check_jobs (version_id, kind, run_at)
    select v.id, 'verification', now() + random() * ${Math.max(0, Math.round(intervalMs))} * interval '1 millisecond'
    from image_versions v
    where v.status in (${verified}) and v.digest is not null
      and not exists (select 1 from check_jobs j where j.version_id = v.id and j.kind = 'verification')
    on conflict (version_id, kind) do nothing`.execute(db)
  const dropped = await sql`
    delete from check_jobs j
    using image_versions v
    where j.kind = 'verification' and v.id = j.version_id
      and (v.status not in (${verified}) or v.digest is null)`.execute(db)
  return { created: Number(created.numAffectedRows ?? 0n), dropped: Number(dropped.numAffectedRows ?? 0n) }
}

/** Makes the version's verification due now (creating it if the sweep has not yet). A new id drops the result of a run under way. */
export async function requestVerification(db: Db, versionId: string): Promise<void> {
  await db
    .insertInto('checkJobs')
    .values({ versionId, kind: 'verification' })
    .onConflict((oc) =>
      oc
        .columns(['versionId', 'kind'])
        .doUpdateSet({ id: sql`default`, attempts: 0, runAt: sql`now()`, lockedUntil: null, lockedBy: null, lastError: null })
    )
    .execute()
}

/**
 * Leases one due verification whose registry is not in `saturated` (the registries this replica
 * already verifies against as much as it may), so a slow registry never holds back the others.
 */
export async function leaseDueVerification(
  db: Db,
  options: { workerId: string; leaseMs: number; saturated: readonly string[] }
): Promise<(CheckJobRow & { registry: string }) | undefined> {
  const { rows } = await sql<CheckJobRow & { registry: string }>`
    with due as (
      select j.id, v.registry
      from check_jobs j
      join image_versions v on v.id = j.version_id
      where j.kind = 'verification'
        and j.run_at <= now()
        and (j.locked_until is null or j.locked_until <= now())
        and not (v.registry = any(${sql.val([...options.saturated])}::text[]))
      order by j.run_at, j.id
      limit 1
      for update of j skip locked
    )
    update check_jobs c
    set locked_until = ${msFromNow(options.leaseMs)}, locked_by = ${options.workerId}, attempts = c.attempts + 1
    from due
    where c.id = due.id
    returning c.*, due.registry`.execute(db)
  return rows[0]
}

/**
 * A verification ran (or failed for good): the job stays, due again after `delayMs`. `attempts`
 * restarts from zero after a verification that reached the registry, so the backoff of transient
 * failures grows only while they follow each other.
 */
export async function rescheduleVerification(
  db: Db,
  id: number,
  delayMs: number,
  options: { lastError: string | null; resetAttempts: boolean }
): Promise<void> {
  await db
    .updateTable('checkJobs')
    .set({
      runAt: msFromNow(delayMs),
      lockedUntil: null,
      lockedBy: null,
      lastError: options.lastError,
      ...(options.resetAttempts ? { attempts: 0 } : {})
    })
    .where('id', '=', id)
    .execute()
}

/**
 * Gives a leased verification back untouched, due at `runAt` (the registry's budget allows it
 * then), without counting the attempt. Only while this exact lease is held.
 */
export async function deferJob(db: Db, lease: JobLease, runAt: Date): Promise<boolean> {
  const deferred = await db
    .updateTable('checkJobs')
    .set((eb) => ({ runAt, lockedUntil: null, lockedBy: null, attempts: eb('attempts', '-', 1) }))
    .where('id', '=', lease.id)
    .where('lockedBy', '=', lease.lockedBy)
    .where('attempts', '=', lease.attempts)
    .executeTakeFirst()
  return deferred.numUpdatedRows > 0n
}
