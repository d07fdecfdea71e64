// Re-verifies testing and released versions on a schedule: sweeps new versions into the queue,
// leases due verification jobs (SKIP LOCKED, so each runs on one replica), at most a few at once per
// registry, within the registry's shared request budget, and applies each outcome. Woken by a
// verification request here or on another replica, by a job handed back, and by a poll timer.
import type { FastifyBaseLogger } from 'fastify'
import type { ChangeNotifier } from '../changes/change-bus.js'
import type { Database } from '../db/database.js'
import { findImageById } from '../images/images.repository.js'
import { newWorkerId, PollingWorkLoop } from '../jobs/work-loop.js'
import {
  buildReference,
  EXPECTED_SIGNATURE_LOOKUP_REQUESTS,
  failure,
  formatReference,
  InvalidReferenceError,
  isBoundRegistry,
  type Credential,
  type VerificationOutcome,
  type VerifyPinnedRequest
} from '../registry/index.js'
import { deferJob, deleteJob, handBackJob, leaseDueVerification, sweepVerificationJobs } from '../checks/check-jobs.repository.js'
import type { LeasedJob } from '../checks/apply-outcome.js'
import { DEFAULT_BACKOFF, retryDelayMs, type BackoffOptions } from '../checks/retry-backoff.js'
import { formatVersion } from '../versions/version-number.js'
import { findVersionToVerify } from '../versions/verification.repository.js'
import { VERIFICATION_REQUESTED, VERIFIED_STATUSES } from '../versions/verification-transitions.js'
import { applyVerificationOutcome, type AppliedVerification } from './apply-verification.js'
import { blockRegistry, reserveRequests, settleRequests } from './registry-budget.js'

/** What the worker needs of a registry client; the app passes the real one. */
export interface Verifier {
  verifyPinned(request: VerifyPinnedRequest): Promise<VerificationOutcome>
}

/** How one verification ended, for metrics: what it found, and how many registry requests it sent. */
export interface FinishedVerification {
  outcomes: string[]
  requests: number
}

export interface VerificationObserver {
  verificationFinished(finished: FinishedVerification): void
}

export interface VerificationWorkerOptions {
  db: Database
  changes: ChangeNotifier
  log: FastifyBaseLogger
  verifier: Verifier
  revealCredential: (credentialId: string) => Promise<Credential>
  perRegistry: number
  requestsPerMinute: number
  intervalMs: number
  confirmDelayMs: number
  pollIntervalMs: number
  /** How long a taken job stays ours; must outlast one verification. */
  leaseMs: number
  backoff?: BackoffOptions
  random?: () => number
  workerId?: string
  observer?: VerificationObserver
}

interface LeasedVerification extends LeasedJob {
  registry: string
}

// HEAD of the API root, of the tag and of the digest; a token request comes on top when needed
// (settled after the run), as do the signature lookup's requests beyond the usual ones.
const BASE_COST = 3
// Registries this replica verifies against at once, whatever their number: a replica's share of
// the work stays bounded when versions live in many registries.
const MAX_REGISTRIES_AT_ONCE = 8
// The sweep reads every testing and released version, so it runs far less often than the poll, and
// at once when a version passes its check (the only way into testing; release keeps the job).
const SWEEP_AT_MOST_EVERY_MS = 60_000
const sweepPeriodMs = (pollIntervalMs: number, intervalMs: number): number =>
  Math.max(pollIntervalMs, Math.min(SWEEP_AT_MOST_EVERY_MS, intervalMs / 4))

export class VerificationWorker extends PollingWorkLoop<LeasedVerification> {
  readonly id: string
  private lastSweep = 0
  private readonly perRegistry = new Map<string, number>()
  /** Registries whose budget had no room, until when: their jobs are not leased meanwhile, only to be deferred again. */
  private readonly waiting = new Map<string, number>()

  constructor(private readonly options: VerificationWorkerOptions) {
    super(options.pollIntervalMs)
    this.id = options.workerId ?? newWorkerId()
    options.changes.subscribe((change) => {
      // A version that just became testing needs its job: sweep at the next look rather than at the next period.
      if (change.type === 'version.check_passed') this.lastSweep = 0
      if (VERIFICATION_REQUESTED.has(change.type) || change.type === 'version.check_passed') this.wake()
    })
    options.changes.onMissed(() => this.wake())
  }

  protected async take(): Promise<void> {
    const { db, log, pollIntervalMs, intervalMs } = this.options
    if (Date.now() - this.lastSweep >= sweepPeriodMs(pollIntervalMs, intervalMs)) {
      this.lastSweep = Date.now()
      try {
        const swept = await sweepVerificationJobs(db, intervalMs)
        if (swept.created + swept.dropped > 0) log.debug(swept, 'verification jobs swept')
      } catch (err) {
        log.warn({ err }, 'could not sweep verification jobs; retrying at the next poll')
      }
    }
    const limit = this.options.perRegistry * MAX_REGISTRIES_AT_ONCE
    while (!this.stopping && this.busy < limit) {
      const now = Date.now()
      for (const [registry, until] of this.waiting) if (until <= now) this.waiting.delete(registry)
      const saturated = [
        ...[...this.perRegistry].filter(([, n]) => n >= this.options.perRegistry).map(([registry]) => registry),
        ...this.waiting.keys()
      ]
      let job
      try {
        job = await leaseDueVerification(db, { workerId: this.id, leaseMs: this.options.leaseMs, saturated })
      } catch (err) {
        log.warn({ err }, 'could not take verification jobs; retrying at the next poll')
        return
      }
      if (!job) return
      this.perRegistry.set(job.registry, (this.perRegistry.get(job.registry) ?? 0) + 1)
      this.launch({ id: job.id, versionId: job.versionId, lockedBy: job.lockedBy, attempts: job.attempts, registry: job.registry })
    }
  }

  protected async run(job: LeasedVerification): Promise<void> {
    try {
      await this.verify(job)
    } catch (err) {
      // The lease runs out and the job is taken again; nothing is lost.
      this.options.log.error({ err, versionId: job.versionId }, 'verification could not be recorded; it is retried when its lease expires')
    } finally {
      const left = (this.perRegistry.get(job.registry) ?? 1) - 1
      if (left > 0) this.perRegistry.set(job.registry, left)
      else this.perRegistry.delete(job.registry)
    }
  }

  private async verify(job: LeasedVerification): Promise<void> {
    const { db, log, observer } = this.options
    const version = await findVersionToVerify(db, job.versionId)
    const image = version && (await findImageById(db, version.imageId))
    if (!version || !image || !(VERIFIED_STATUSES as readonly string[]).includes(version.status) || version.digest === null) {
      await deleteJob(db, job.id)
      return
    }
    const digest = version.digest
    const keys = image.signatureKeys
    const reservation = await reserveRequests(
      db,
      job.registry,
      BASE_COST + (keys.length > 0 ? EXPECTED_SIGNATURE_LOOKUP_REQUESTS : 0),
      this.options.requestsPerMinute
    )
    if (!reservation.ok) {
      this.waiting.set(job.registry, reservation.retryAt.getTime())
      // Not an attempt: the registry's budget says when, and the job waits for it.
      const deferred = await deferJob(db, job, reservation.retryAt)
      log.debug(
        { versionId: job.versionId, registry: job.registry, retryAt: reservation.retryAt, why: reservation.why, deferred },
        'verification deferred'
      )
      observer?.verificationFinished({ outcomes: ['deferred'], requests: 0 })
      return
    }

    let reference: string
    try {
      // Built from the parts, never parsed from one string (see the check worker).
      reference = formatReference(buildReference({ registry: version.registry, repository: version.repository, tag: version.tag }))
    } catch (err) {
      if (!(err instanceof InvalidReferenceError)) throw err
      reference = `${version.registry}/${version.repository}:${version.tag}`
    }
    const outcome = await this.send({ ...version, reference, digest }, keys)
    await settleRequests(db, job.registry, reservation, outcome.requests)
    if (this.abort.signal.aborted) {
      const handed = await handBackJob(db, job)
      log.info({ versionId: job.versionId, reference, handed }, 'verification cut short by shutdown; job handed back')
      return
    }
    if (!outcome.ok && outcome.class === 'rate_limited') {
      const waitMs = outcome.retryAfterMs ?? retryDelayMs(job.attempts, undefined, this.backoff, this.options.random)
      const until = await blockRegistry(db, job.registry, waitMs)
      log.warn({ registry: job.registry, until }, 'registry rate-limited verifications; no replica verifies against it until then')
    }
    const applied = await applyVerificationOutcome(
      db,
      this.options.changes,
      job,
      { digest, keyFingerprints: keys.map((key) => key.fingerprint) },
      outcome,
      {
        intervalMs: this.options.intervalMs,
        confirmDelayMs: this.options.confirmDelayMs,
        backoff: this.backoff,
        ...(this.options.random ? { random: this.options.random } : {})
      }
    )
    log.info(
      { versionId: job.versionId, version: formatVersion(version), reference, digest, requests: outcome.requests, ...summary(applied) },
      'verification done'
    )
    observer?.verificationFinished({ outcomes: outcomeLabels(applied), requests: outcome.requests })
  }

  private get backoff(): BackoffOptions {
    return this.options.backoff ?? DEFAULT_BACKOFF
  }

  private async send(
    version: { registry: string; reference: string; digest: string; credentialId: string | null },
    keys: VerifyPinnedRequest['signatureKeys']
  ): Promise<VerificationOutcome> {
    let credential: Credential | undefined
    try {
      credential = version.credentialId ? await this.options.revealCredential(version.credentialId) : undefined
    } catch (err) {
      this.options.log.warn({ err, credentialId: version.credentialId }, 'could not decrypt the registry credential')
      return {
        ...failure(
          'unavailable',
          `the credential ${version.credentialId} of ${version.reference} could not be read; an operator must check the credentials key`
        ),
        requests: 0
      }
    }
    // The check refused such a pair already; the credential's hosts may have changed since.
    if (credential && !isBoundRegistry(credential.registries, version.registry)) {
      return {
        ...failure(
          'unauthorized',
          `the credential ${version.credentialId} is not bound to ${version.registry}, so it was not used to verify ${version.reference}; add "${version.registry}" to its registries with PATCH.`
        ),
        requests: 0
      }
    }
    try {
      return await this.options.verifier.verifyPinned({
        reference: version.reference,
        digest: version.digest,
        credential,
        signal: this.abort.signal,
        ...(keys && keys.length > 0 ? { signatureKeys: keys } : {})
      })
    } catch (err) {
      if (err instanceof InvalidReferenceError)
        return { ...failure('invalid', `${err.message}; the version's reference cannot be verified.`), requests: 0 }
      this.options.log.error({ err, reference: version.reference }, 'the registry client failed unexpectedly')
      return { ...failure('unavailable', `the verification of ${version.reference} failed unexpectedly; it will be retried`), requests: 0 }
    }
  }
}

function outcomeLabels(applied: AppliedVerification): string[] {
  switch (applied.kind) {
    case 'verified':
      return applied.outcomes
    case 'failed':
      return [applied.failureClass === 'rate_limited' ? 'rate_limited' : 'failed']
    case 'dropped':
      return []
  }
}

function summary(applied: AppliedVerification): Record<string, unknown> {
  switch (applied.kind) {
    case 'verified':
      return { result: applied.outcomes.join(','), events: applied.events, nextInMs: applied.delayMs }
    case 'failed':
      return { result: 'failed', class: applied.failureClass, reason: applied.reason, nextInMs: applied.delayMs }
    case 'dropped':
      return { result: 'dropped', why: applied.why }
  }
}
