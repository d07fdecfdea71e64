// What one verification's outcome does, in one transaction: the lease is still ours, the version
// is locked and still in a verified status (testing, awaiting approval, released) with the digest
// that was verified, the rules' decision is written with its events, and the job is due again (an interval later, after the confirm delay
// following a first 404, or after a backoff when the registry could not answer).
import type { ChangeNotifier } from '../changes/change-bus.js'
import { commitChanges } from '../changes/commit-changes.js'
import type { Database } from '../db/database.js'
import { findImageById } from '../images/images.repository.js'
import type { VerificationOutcome } from '../registry/index.js'
import { deleteJob, rescheduleVerification, stillLeased } from '../checks/check-jobs.repository.js'
import { retryDelayMs, type BackoffOptions } from '../checks/retry-backoff.js'
import { recordVerification, recordVerificationError, VERIFIED_STATUSES, VERIFY_ACTOR } from '../versions/verification-transitions.js'
import { lockVersion } from '../versions/versions.repository.js'
import type { LeasedJob } from '../checks/apply-outcome.js'
import { signatureVerdict } from '../checks/signature-verdict.js'
import { decideVerification, type SignatureJudgement, type VerificationOutcomeLabel } from './verification-rules.js'
import { nextVerificationDelayMs } from './verification-schedule.js'

export interface VerificationApplyOptions {
  intervalMs: number
  confirmDelayMs: number
  backoff: BackoffOptions
  random?: () => number
}

export type AppliedVerification =
  | { kind: 'verified'; outcomes: VerificationOutcomeLabel[]; delayMs: number; events: string[] }
  | { kind: 'failed'; failureClass: string; reason: string; delayMs: number }
  | { kind: 'dropped'; why: 'lease_lost' | 'not_verified' | 'keys_changed' }

const TRANSIENT = new Set(['unavailable', 'rate_limited'])
// The rules look at signatures only when the digest is present; this stands in when it is not.
const NOT_JUDGED: SignatureJudgement = { kind: 'pass', signedBy: null }

export async function applyVerificationOutcome(
  db: Database,
  changes: ChangeNotifier,
  job: LeasedJob,
  verified: { digest: string; keyFingerprints: readonly string[] },
  outcome: VerificationOutcome,
  options: VerificationApplyOptions
): Promise<AppliedVerification> {
  return commitChanges(db, changes, async (trx, record): Promise<AppliedVerification> => {
    if (!(await stillLeased(trx, job))) return { kind: 'dropped', why: 'lease_lost' }
    const version = await lockVersion(trx, job.versionId)
    const image = version && (await findImageById(trx, version.imageId))
    const stillVerified = (VERIFIED_STATUSES as readonly string[]).includes(version?.status ?? '')
    if (!version || !image || !stillVerified || version.digest === null) {
      await deleteJob(trx, job.id)
      return { kind: 'dropped', why: 'not_verified' }
    }
    const ctx = { trx, record, actor: VERIFY_ACTOR }
    const verifiedDigest = verified.digest

    if (!outcome.ok) {
      // Neither the missing count nor availability moves on an answer that says nothing about the digest.
      const transient = TRANSIENT.has(outcome.class)
      const delayMs = transient
        ? retryDelayMs(job.attempts, outcome.retryAfterMs, options.backoff, options.random)
        : nextVerificationDelayMs('interval', options, options.random)
      if (version.digest === verifiedDigest) await recordVerificationError(ctx, version, verifiedDigest, outcome.reason)
      await rescheduleVerification(trx, job.id, delayMs, { lastError: outcome.reason, resetAttempts: !transient })
      return { kind: 'failed', failureClass: outcome.class, reason: outcome.reason, delayMs }
    }

    if (version.digest !== verifiedDigest) {
      // A recheck pinned another digest while this one was being verified: verify the new one soon.
      await rescheduleVerification(trx, job.id, 0, { lastError: null, resetAttempts: true })
      return { kind: 'dropped', why: 'not_verified' }
    }
    const verdict = outcome.digestPresent ? signatureVerdict(image.signatureKeys, verified.keyFingerprints, outcome.signature) : undefined
    if (verdict?.kind === 'keys_changed') {
      // The image's keys were edited while this ran: its findings answer another question. Again, now.
      await rescheduleVerification(trx, job.id, 0, { lastError: null, resetAttempts: true })
      return { kind: 'dropped', why: 'keys_changed' }
    }
    const decision = decideVerification({ ...version, digest: verifiedDigest }, outcome, verdict ?? NOT_JUDGED, new Date())
    await recordVerification(ctx, image, version, verifiedDigest, decision)
    const delayMs = nextVerificationDelayMs(decision.next, options, options.random)
    await rescheduleVerification(trx, job.id, delayMs, { lastError: null, resetAttempts: true })
    return { kind: 'verified', outcomes: decision.outcomes, delayMs, events: decision.events.map((e) => e.action) }
  })
}
