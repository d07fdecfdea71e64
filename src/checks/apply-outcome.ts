// What a pullability check's outcome does to its job, and, through versions' transitions, to its
// version, in one transaction. The transitions are compare-and-sets on status 'checking', so a late
// result for a version cancelled meanwhile is dropped; the lease check drops results of a worker
// that lost its job.
import type { ChangeNotifier } from '../changes/change-bus.js'
import { commitChanges } from '../changes/commit-changes.js'
import type { Database } from '../db/database.js'
import { findImageById } from '../images/images.repository.js'
import { isTransient, type PullabilityOutcome } from '../registry/index.js'
import { CHECK_ACTOR, failCheck, passCheck, scheduleCheckRetry } from '../versions/version-transitions.js'
import { lockVersion } from '../versions/versions.repository.js'
import { deleteJob, rescheduleJob, stillLeased, type JobLease } from './check-jobs.repository.js'
import { retryDelayMs, type BackoffOptions } from './retry-backoff.js'
import { signatureVerdict } from './signature-verdict.js'

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

/**
 * `checkedWith`: the fingerprints of the image's signature keys the check was given ([] when it
 * looked for no signature).
 */
export async function applyCheckOutcome(
  db: Database,
  changes: ChangeNotifier,
  job: LeasedJob,
  outcome: PullabilityOutcome,
  options: ApplyOptions,
  checkedWith: readonly string[] = []
): Promise<AppliedOutcome> {
  return commitChanges(db, changes, async (trx, record): Promise<AppliedOutcome> => {
    if (!(await stillLeased(trx, job))) return { kind: 'dropped', why: 'lease_lost' }
    const version = await lockVersion(trx, job.versionId)
    const image = version && (await findImageById(trx, version.imageId))
    if (!version || !image || version.status !== 'checking') {
      await deleteJob(trx, job.id)
      return { kind: 'dropped', why: 'not_checking' }
    }
    const ctx = { trx, record, actor: CHECK_ACTOR }

    const verdict = outcome.ok ? signatureVerdict(image.signatureKeys, checkedWith, outcome.signature) : undefined
    if (verdict?.kind === 'keys_changed') {
      await rescheduleJob(trx, job.id, 0, verdict.reason)
      return { kind: 'retry', delayMs: 0 }
    }
    // Not retried: the signature is either there or not, and pushing one makes a recheck worthwhile.
    if (verdict?.kind === 'unsigned') {
      await failCheck(ctx, image, version, 'unsigned', verdict.reason, job.attempts)
      await deleteJob(trx, job.id)
      return { kind: 'check_failed', checkClass: 'unsigned', reason: verdict.reason }
    }

    if (outcome.ok) {
      await passCheck(ctx, image, version, outcome, verdict?.signedBy ?? null, job.attempts)
      await deleteJob(trx, job.id)
      const previousDigest = version.digest
      return {
        kind: 'testing',
        digest: outcome.digest,
        previousDigest,
        digestChanged: previousDigest !== null && previousDigest !== outcome.digest
      }
    }

    if (isTransient(outcome) && job.attempts < options.maxAttempts) {
      const delayMs = retryDelayMs(job.attempts, outcome.retryAfterMs, options.backoff, options.random)
      await rescheduleJob(trx, job.id, delayMs, outcome.reason)
      const retryAt = new Date(Date.now() + delayMs)
      const reason = `${outcome.reason} (attempt ${job.attempts} of ${options.maxAttempts}; next attempt around ${retryAt.toISOString()})`
      await scheduleCheckRetry(ctx, image, version, outcome.class, reason, job.attempts, retryAt)
      return { kind: 'retry', delayMs }
    }

    const reason = isTransient(outcome)
      ? `${outcome.reason} (gave up after ${job.attempts} attempt${job.attempts === 1 ? '' : 's'})`
      : outcome.reason
    await failCheck(ctx, image, version, outcome.class, reason, job.attempts)
    await deleteJob(trx, job.id)
    return { kind: 'check_failed', checkClass: outcome.class, reason }
  })
}
