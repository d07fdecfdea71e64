// Makes webhook delivery attempts: leases due deliveries (SKIP LOCKED, so replicas share them; one
// at a time per subscription, in event order), makes at most `concurrency` attempts at once and
// records each. Woken when deliveries are dispatched or handed back, when one finishes, and by a
// timer set for the next retry that falls due.
import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../../db/database.js'
import { newWorkerId, WorkLoop } from '../../jobs/work-loop.js'
import type { SecretSealer } from '../../credentials/credentials.plugin.js'
import type { ImageEventRow } from '../../events/events.table.js'
import { checkReceiverUrl } from '../receiver-url.js'
import { openSigningSecrets } from '../signing-secret.js'
import type { AttemptOutcome, WebhookSubscriptionRow } from '../webhooks.table.js'
import { judgeAnswer, judgeFailure, type Verdict } from './attempt-verdict.js'
import { findDeliveryTarget, handBackDelivery, leaseDueDeliveries, msUntilNextDue, type DeliveryLease } from './deliveries.repository.js'
import type { ReceiverClient } from './receiver-client.js'
import { recordAttempt, type Next } from './record-attempt.js'
import { DEFAULT_RETRY_SCHEDULE, maxAttempts, nextRetryDelayMs, type RetrySchedule } from './retry-schedule.js'
import { buildWebhookMessage } from './webhook-message.js'

export interface DeliveryWorkerOptions {
  db: Database
  log: FastifyBaseLogger
  sealer: SecretSealer
  receivers: Pick<ReceiverClient, 'post'>
  /** WEBHOOK_ALLOWED_PRIVATE_HOSTS: receivers that may be reached on private addresses and plain http. */
  allowedPrivateHosts: readonly string[]
  /** One attempt's limit, the answer's body included. */
  timeoutMs: number
  concurrency: number
  /** The longest the worker waits before looking for due deliveries again. */
  pollIntervalMs: number
  /** How long a taken delivery stays ours; must outlast one attempt and its recording. */
  leaseMs: number
  schedule?: RetrySchedule
  random?: () => number
  workerId?: string
  /** Told about every attempt this worker finishes (metrics). */
  observer?: DeliveryObserver
}

export interface FinishedAttempt {
  /** `error` when the outcome could not be recorded, `lost` when another holder had taken the lease. */
  outcome: AttemptOutcome | 'error' | 'lost'
  durationSeconds: number
  /** For a success: from the event's commit to the receiver's 2xx. */
  lagSeconds?: number
}

export interface DeliveryObserver {
  attemptFinished(finished: FinishedAttempt): void
}

// A due delivery blocked by a short-lived lease elsewhere must not make the timer spin.
const MIN_WAIT_MS = 25

export class DeliveryWorker extends WorkLoop<DeliveryLease> {
  readonly id: string
  private readonly schedule: RetrySchedule
  private timer: NodeJS.Timeout | undefined
  private started = false

  constructor(private readonly options: DeliveryWorkerOptions) {
    super()
    this.id = options.workerId ?? newWorkerId()
    this.schedule = options.schedule ?? DEFAULT_RETRY_SCHEDULE
  }

  start(): void {
    if (this.started || this.stopping) return
    this.started = true
    this.wake()
  }

  protected running(): boolean {
    return this.started
  }

  protected paused(): void {
    clearTimeout(this.timer)
  }

  protected async take(): Promise<void> {
    const { db, log, concurrency, pollIntervalMs } = this.options
    const free = concurrency - this.busy
    let wait = pollIntervalMs
    try {
      const leases = await leaseDueDeliveries(db, { limit: free, workerId: this.id, leaseMs: this.options.leaseMs })
      for (const lease of leases) this.launch(lease)
      // Full: a finishing attempt wakes the worker. Otherwise sleep until the next retry is due.
      if (this.busy < concurrency) {
        const due = await msUntilNextDue(db)
        if (due !== undefined) wait = Math.min(wait, Math.max(MIN_WAIT_MS, due))
      }
    } catch (err) {
      log.warn({ err }, 'could not take webhook deliveries; retrying at the next poll')
    }
    clearTimeout(this.timer)
    if (!this.stopping) this.timer = setTimeout(() => this.wake(), wait).unref()
  }

  protected async run(lease: DeliveryLease): Promise<void> {
    const { db, log, observer } = this.options
    const startedAt = new Date()
    const began = performance.now()
    const elapsedMs = () => Math.round(performance.now() - began)
    const context = { deliveryId: lease.id, subscriptionId: lease.subscriptionId, eventId: lease.eventId, attempt: lease.attempts }
    const finished = (outcome: FinishedAttempt['outcome'], lagSeconds?: number) =>
      observer?.attemptFinished({ outcome, durationSeconds: elapsedMs() / 1000, ...(lagSeconds !== undefined ? { lagSeconds } : {}) })
    try {
      const target = await findDeliveryTarget(db, lease)
      if (!target) {
        // A deleted subscription took its deliveries with it (the lease is lost); an event that is
        // gone cannot be sent.
        const gone = { startedAt, durationMs: elapsedMs(), statusCode: null, error: `event ${lease.eventId} no longer exists` }
        finished((await recordAttempt(db, lease, gone, { outcome: 'failed' })) ? 'failed' : 'lost')
        return
      }
      if (target.subscription.status === 'disabled') {
        // Disabled after the lease was taken: not attempted, kept for when it is enabled again.
        await handBackDelivery(db, lease)
        return
      }
      const { verdict, statusCode } = await this.attempt(lease, target.event, target.subscription)
      const attempt = { startedAt, durationMs: elapsedMs(), statusCode, error: 'error' in verdict ? verdict.error : null }
      if (this.abort.signal.aborted && verdict.outcome !== 'succeeded') {
        const handed = await handBackDelivery(db, lease, { ...attempt, error: 'cut short: this replica was shutting down' })
        log.info({ ...context, handed }, 'webhook delivery cut short by shutdown; handed back')
        finished('handed_back')
        return
      }
      const next = this.next(verdict, lease.attempts)
      const recorded = await recordAttempt(db, lease, attempt, next)
      const lag = next.outcome === 'succeeded' ? (Date.now() - target.event.createdAt.getTime()) / 1000 : undefined
      finished(recorded ? next.outcome : 'lost', lag)
      const level = next.outcome === 'succeeded' || next.outcome === 'retry' ? 'info' : 'warn'
      log[level](
        { ...context, ...summary(next), statusCode, error: attempt.error, durationMs: attempt.durationMs, recorded },
        'webhook attempt done'
      )
    } catch (err) {
      finished('error')
      // The lease runs out and the delivery is taken again; nothing is lost.
      log.error({ err, ...context }, 'webhook attempt could not be recorded; it will be made again when its lease expires')
    }
  }

  /** Builds, signs and posts the message; never throws for what the receiver or the network did. */
  private async attempt(
    lease: DeliveryLease,
    event: ImageEventRow,
    subscription: WebhookSubscriptionRow
  ): Promise<{ verdict: Verdict; statusCode: number | null }> {
    const { allowedPrivateHosts, sealer, timeoutMs, receivers, log } = this.options
    const url = subscription.url
    const refusal = checkReceiverUrl(url, allowedPrivateHosts)
    if (refusal !== undefined) return { verdict: { outcome: 'retry', error: `the receiver URL is refused: ${refusal}` }, statusCode: null }
    let secrets: string[]
    try {
      secrets = openSigningSecrets(sealer, subscription, new Date())
    } catch (err) {
      log.warn({ err, subscriptionId: subscription.id }, 'could not open the signing secret of a webhook subscription')
      const error = 'the signing secret could not be opened; an operator must check CREDENTIALS_KEY and CREDENTIALS_OLD_KEYS'
      return { verdict: { outcome: 'retry', error }, statusCode: null }
    }
    const message = buildWebhookMessage(event, lease.id, secrets, new Date())
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(timeoutMs)])
    try {
      const answer = await receivers.post(url, message, signal)
      return { verdict: judgeAnswer(answer), statusCode: answer.statusCode }
    } catch (err) {
      return { verdict: judgeFailure(err, new URL(url).host, timeoutMs), statusCode: null }
    }
  }

  private next(verdict: Verdict, attempts: number): Next {
    if (verdict.outcome === 'succeeded') return { outcome: 'succeeded' }
    if (verdict.outcome === 'gone') return { outcome: 'gone', disabledReason: verdict.error }
    const delayMs = nextRetryDelayMs(this.schedule, attempts, verdict.retryAfterMs, this.options.random)
    if (delayMs !== undefined) return { outcome: 'retry', delayMs }
    return {
      outcome: 'failed',
      disabledReason: `sustained failure: ${maxAttempts(this.schedule)} attempts failed; the last: ${verdict.error}`
    }
  }
}

function summary(next: Next): Record<string, unknown> {
  switch (next.outcome) {
    case 'retry':
      return { outcome: 'retry', delayMs: next.delayMs }
    case 'succeeded':
      return { outcome: 'succeeded' }
    default:
      return { outcome: next.outcome, disabledReason: next.disabledReason }
  }
}
