// Runs queued pullability checks: leases due jobs (SKIP LOCKED, so replicas share the queue), runs
// at most `concurrency` at once, and applies each outcome. Woken at once when a job is enqueued in
// this process or announced by another replica, and by a poll timer otherwise.
import type { FastifyBaseLogger } from 'fastify'
import type { ChangeNotifier } from '../changes/change-bus.js'
import type { Database } from '../db/database.js'
import { newWorkerId, PollingWorkLoop } from '../jobs/work-loop.js'
import {
  buildReference,
  formatReference,
  InvalidReferenceError,
  failure,
  isBoundRegistry,
  type Credential,
  type PullabilityOutcome,
  type CheckPullabilityOptions,
  type SignatureKeyRef
} from '../registry/index.js'
import { findImageById } from '../images/images.repository.js'
import { formatVersion } from '../versions/version-number.js'
import { imageReference } from '../versions/image-reference.js'
import { CHECK_REQUESTED } from '../versions/version-transitions.js'
import { findVersionToCheck } from '../versions/versions.repository.js'
import { applyCheckOutcome, type AppliedOutcome, type LeasedJob } from './apply-outcome.js'
import { handBackJob, leaseDueJobs } from './check-jobs.repository.js'
import { DEFAULT_BACKOFF, type BackoffOptions } from './retry-backoff.js'
import type { CheckJobRow } from './check-jobs.table.js'

/** What the worker needs of a registry client; the app passes the real one. */
export interface Checker {
  checkPullability(
    reference: string,
    credential?: Credential,
    signal?: AbortSignal,
    options?: CheckPullabilityOptions
  ): Promise<PullabilityOutcome>
}

export interface CheckWorkerOptions {
  db: Database
  /** Outcomes are published through it; it wakes the worker when a check is requested anywhere. */
  changes: ChangeNotifier
  log: FastifyBaseLogger
  checker: Checker
  /** The username and password of a registry credential, decrypted, with the hosts it is bound to. */
  revealCredential: (credentialId: string) => Promise<Credential>
  concurrency: number
  pollIntervalMs: number
  maxAttempts: number
  /** How long a taken job stays ours; must outlast one check. */
  leaseMs: number
  backoff?: BackoffOptions
  random?: () => number
  workerId?: string
  /** Told about every check run this worker finishes (metrics). */
  observer?: CheckObserver
}

/**
 * How one run of a job ended: the applied outcome's kind, `handed_back` when shutdown cut it short,
 * or `error` when it could not be recorded.
 */
export interface FinishedCheck {
  result: AppliedOutcome['kind'] | 'handed_back' | 'error'
  /** The failure class of a check_failed or retried run (e.g. `unavailable`, `not_found`). */
  checkClass?: string
  durationSeconds: number
}

export interface CheckObserver {
  checkFinished(finished: FinishedCheck): void
}

const NOT_CHECKED = failure('invalid', 'the version is no longer being checked')

export class CheckWorker extends PollingWorkLoop<LeasedJob> {
  readonly id: string

  constructor(private readonly options: CheckWorkerOptions) {
    super(options.pollIntervalMs)
    this.id = options.workerId ?? newWorkerId()
    options.changes.subscribe((change) => {
      if (CHECK_REQUESTED.has(change.type)) this.wake()
    })
    // Requests sent while other replicas could not be heard: look for them now.
    options.changes.onMissed(() => this.wake())
  }

  protected async take(): Promise<void> {
    const free = this.options.concurrency - this.busy
    if (free <= 0) return
    let jobs: CheckJobRow[]
    try {
      jobs = await leaseDueJobs(this.options.db, { limit: free, workerId: this.id, leaseMs: this.options.leaseMs })
    } catch (err) {
      this.options.log.warn({ err }, 'could not take check jobs; retrying at the next poll')
      return
    }
    for (const job of jobs) this.launch({ id: job.id, versionId: job.versionId, lockedBy: job.lockedBy, attempts: job.attempts })
  }

  protected async run(job: LeasedJob): Promise<void> {
    const { db, log, observer } = this.options
    const startedAt = performance.now()
    const finished = (result: FinishedCheck['result'], checkClass?: string) =>
      observer?.checkFinished({ result, ...(checkClass ? { checkClass } : {}), durationSeconds: (performance.now() - startedAt) / 1000 })
    try {
      const version = await findVersionToCheck(db, job.versionId)
      const reference = version ? imageReference(version) : undefined
      // Read again, locked, when the outcome is applied: a change of keys meanwhile is seen there.
      const keys = version ? ((await findImageById(db, version.imageId))?.signatureKeys ?? []) : []
      // A version that is no longer checking (cancelled) is not checked; applying drops its job.
      const outcome = version?.status === 'checking' ? await this.check(version, version.credentialId, keys) : NOT_CHECKED
      if (this.abort.signal.aborted) {
        const handed = await handBackJob(db, job)
        log.info({ versionId: job.versionId, reference, handed }, 'pullability check cut short by shutdown; job handed back')
        finished('handed_back')
        return
      }
      const applied = await applyCheckOutcome(
        db,
        this.options.changes,
        job,
        outcome,
        {
          maxAttempts: this.options.maxAttempts,
          backoff: this.options.backoff ?? DEFAULT_BACKOFF,
          ...(this.options.random ? { random: this.options.random } : {})
        },
        keys.map((key) => key.fingerprint)
      )
      log.info(
        { versionId: job.versionId, version: version && formatVersion(version), reference, attempt: job.attempts, ...summary(applied) },
        'pullability check done'
      )
      finished(applied.kind, applied.kind === 'check_failed' ? applied.checkClass : outcome.ok ? undefined : outcome.class)
    } catch (err) {
      finished('error')
      // The lease runs out and the job is taken again; nothing is lost.
      log.error({ err, versionId: job.versionId }, 'pullability check could not be recorded; it will be retried when its lease expires')
    }
  }

  private async check(
    location: { registry: string; repository: string; tag: string },
    credentialId: string | null,
    signatureKeys: readonly SignatureKeyRef[]
  ): Promise<PullabilityOutcome> {
    let reference: string
    try {
      // Built from the parts, never parsed from "registry/repository:tag": a row holding a
      // single-label registry such as "harbor" would otherwise be read as a Docker Hub namespace.
      reference = formatReference(buildReference(location))
    } catch (err) {
      if (!(err instanceof InvalidReferenceError)) throw err
      return failure('invalid', `${err.message}; submit the version again with a registry given as its full host name or host:port.`)
    }
    let credential: Credential | undefined
    try {
      credential = credentialId ? await this.options.revealCredential(credentialId) : undefined
    } catch (err) {
      this.options.log.warn({ err, credentialId }, 'could not decrypt the registry credential')
      return failure(
        'unavailable',
        `the credential ${credentialId} of ${reference} could not be read; an operator must check the credentials key`
      )
    }
    // Submission refuses such a pair; this covers rows from before hosts were recorded and hosts
    // changed since. The registry client would hold the credential back anyway.
    if (credential && !isBoundRegistry(credential.registries, location.registry)) {
      const bound =
        credential.registries.length > 0 ? `is bound to ${credential.registries.join(', ')} only` : 'is bound to no registry yet'
      return failure(
        'unauthorized',
        `the credential ${credentialId} ${bound}, not to ${location.registry}, so it was not used to check ${reference}; add "${location.registry}" to the credential's registries with PATCH if it belongs there, then recheck, or submit the version again with another credential or credentialId null.`
      )
    }
    try {
      // Without keys, no signature is looked up: those requests would only cost registry budget.
      const options = signatureKeys.length > 0 ? { signatureKeys } : undefined
      return await this.options.checker.checkPullability(reference, credential, this.abort.signal, options)
    } catch (err) {
      this.options.log.error({ err, reference }, 'the registry client failed unexpectedly')
      return failure('unavailable', `the pullability check of ${reference} failed unexpectedly; it will be retried`)
    }
  }
}

function summary(applied: AppliedOutcome): Record<string, unknown> {
  switch (applied.kind) {
    case 'testing':
      return { result: 'testing', digest: applied.digest, digestChanged: applied.digestChanged }
    case 'check_failed':
      return { result: 'check_failed', checkClass: applied.checkClass }
    case 'retry':
      return { result: 'retry', delayMs: applied.delayMs }
    case 'dropped':
      return { result: 'dropped', why: applied.why }
  }
}
