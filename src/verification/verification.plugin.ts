import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { durationMs } from '../config.js'
import { CHECK_JOBS_DUE_CHANNEL } from '../checks/check-jobs.repository.js'
import { VerificationWorker } from './verification-worker.js'
import { VerificationMetrics } from './verification-metrics.js'

/** Starts the verification worker when the app is ready (unless VERIFY_ENABLED is false) and stops it on close. */
export default fp(
  async function verification(app: FastifyInstance) {
    const { config } = app
    if (!config.VERIFY_ENABLED) return
    const log = app.log.child({ component: 'verification-worker' })
    const worker = new VerificationWorker({
      db: app.db,
      changes: app.changes,
      log,
      verifier: app.registryClient,
      revealCredential: (id) => app.credentialSecrets.revealForPull(id),
      perRegistry: config.VERIFY_CONCURRENCY_PER_REGISTRY,
      requestsPerMinute: config.VERIFY_REQUESTS_PER_MINUTE,
      intervalMs: durationMs(config.VERIFY_INTERVAL),
      confirmDelayMs: config.VERIFY_CONFIRM_DELAY_MS,
      pollIntervalMs: config.CHECK_POLL_INTERVAL_MS,
      // One verification is bounded by the registry timeout; the lease outlasts it with room to record the result.
      leaseMs: 2 * config.REGISTRY_TIMEOUT_MS + 30_000,
      observer: new VerificationMetrics(app.metrics, app.db)
    })

    // Jobs handed back by a stopping replica share the check queue's channel.
    app.notifications.on(CHECK_JOBS_DUE_CHANNEL, () => worker.wake())
    // As the check worker: no new verification while draining; what runs is cut short and handed back on close.
    app.readiness.onDraining(() => worker.pause())
    app.addHook('preClose', async () => worker.stop())

    app.addHook('onReady', async () => {
      worker.start()
      log.info(
        { workerId: worker.id, perRegistry: config.VERIFY_CONCURRENCY_PER_REGISTRY, interval: config.VERIFY_INTERVAL },
        'verification worker started'
      )
    })
    app.addHook('onClose', async () => {
      await worker.stop()
    })
  },
  { name: 'verification', dependencies: ['database', 'registry-client', 'credentials', 'changes', 'notifications', 'health', 'metrics'] }
)
