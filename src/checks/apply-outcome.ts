// What a pullability check's outcome does to its version and its job, in one transaction. Every
// change is a compare-and-set on status 'checking', so a late result for a version that was
// cancelled meanwhile is dropped, and the lease check drops results of a worker that lost its job.
import type { Kysely } from 'kysely'
import type { DB } from '../db/schema.js'
import { recordEvent } from '../events/events.repository.js'
import { TRANSITIONS } from '../versions/version-lifecycle.js'
import { formatVersion } from '../versions/version-number.js'
import { isTransient, type PullabilityOutcome } from '../registry/index.js'
import type { VersionUpdate } from '../versions/versions.table.js'
import { deleteJob, rescheduleJob, stillLeased, type JobLease } from './check-jobs.repository.js'
import { retryDelayMs, type BackoffOptions } from './retry-backoff.js'

export const CHECK_ACTOR = { name: 'check-worker', tokenId: null, projects: null } as const

export interface LeasedJob extends JobLease {
  versionId: string
}

export interface ApplyOptions {
  maxAttempts: number
  backoff: BackoffOptions
  random?: () => number
}

export type AppliedOutcome =
  | { kind: 'testing'; digest: string; previousDigest: string | null; digestChanged: boolean }
  | { kind: 'check_failed'; checkClass: string; reason: string }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'dropped'; why: 'lease_lost' | 'not_checking' }

export async function applyCheckOutcome(db: Kysely<DB>, job: LeasedJob, outcome: PullabilityOutcome, options: ApplyOptions): Promise<AppliedOutcome> {
  return db.transaction().execute(async (trx): Promise<AppliedOutcome> => {
    if (!(await stillLeased(trx, job))) return { kind: 'dropped', why: 'lease_lost' }
    const version = await trx.selectFrom('imageVersions').selectAll().where('id', '=', job.versionId).forUpdate().executeTakeFirst()
    if (!version || version.status !== 'checking') {
      await deleteJob(trx, job.id)
      return { kind: 'dropped', why: 'not_checking' }
    }
    const event = { imageId: version.imageId, actor: CHECK_ACTOR, version: formatVersion(version) }
    const updateIfChecking = (values: VersionUpdate) =>
      trx.updateTable('imageVersions').set({ ...values, updatedAt: new Date() }).where('id', '=', version.id).where('status', '=', 'checking').execute()

    if (outcome.ok) {
      const previousDigest = version.digest
      const digestChanged = previousDigest !== null && previousDigest !== outcome.digest
      await updateIfChecking({
        status: TRANSITIONS.pass_check.to,
        statusReason: null,
        checkClass: null,
        digest: outcome.digest,
        mediaType: outcome.mediaType,
        platforms: JSON.stringify(outcome.platforms),
        size: outcome.size,
        checkedAt: new Date()
      })
      await deleteJob(trx, job.id)
      await recordEvent(trx, {
        ...event,
        action: 'version.check_passed',
        details: { from: version.status, to: TRANSITIONS.pass_check.to, digest: outcome.digest, previousDigest, digestChanged, platforms: outcome.platforms, attempts: job.attempts }
      })
      return { kind: 'testing', digest: outcome.digest, previousDigest, digestChanged }
    }

    if (isTransient(outcome) && job.attempts < options.maxAttempts) {
      const delayMs = retryDelayMs(job.attempts, outcome.retryAfterMs, options.backoff, options.random)
      await rescheduleJob(trx, job.id, delayMs, outcome.reason)
      // Still checking, but the publisher can see why it takes long.
      const retryAt = new Date(Date.now() + delayMs).toISOString()
      await updateIfChecking({
        checkClass: outcome.class,
        statusReason: `${outcome.reason} (attempt ${job.attempts} of ${options.maxAttempts}; next attempt around ${retryAt})`
      })
      return { kind: 'retry', delayMs }
    }

    const reason = isTransient(outcome) ? `${outcome.reason} (gave up after ${job.attempts} attempt${job.attempts === 1 ? '' : 's'})` : outcome.reason
    await updateIfChecking({ status: TRANSITIONS.fail_check.to, checkClass: outcome.class, statusReason: reason, checkedAt: new Date() })
    await deleteJob(trx, job.id)
    await recordEvent(trx, {
      ...event,
      action: 'version.check_failed',
      details: { from: version.status, to: TRANSITIONS.fail_check.to, checkClass: outcome.class, reason, attempts: job.attempts }
    })
    return { kind: 'check_failed', checkClass: outcome.class, reason }
  })
}
