import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { CheckWorker } from './check-worker.js'
import { CheckMetrics } from './check-metrics.js'
import { CHECK_JOBS_DUE_CHANNEL } from './check-jobs.repository.js'

/** Starts the check worker when the app is ready and stops it (waiting for running checks) on close. */
export default fp(
  async function checks(app: FastifyInstance) {
    const { config } = app
    const log = app.log.child({ component: 'check-worker' })
    const worker = new CheckWorker({
      db: app.db,
      changes: app.changes,
      log,
      checker: app.registryClient,
      revealCredential: (id) => app.credentialSecrets.revealForPull(id),
      concurrency: config.CHECK_CONCURRENCY,
      pollIntervalMs: config.CHECK_POLL_INTERVAL_MS,
      maxAttempts: config.CHECK_MAX_ATTEMPTS,
      // One check is bounded by the registry timeout; the lease outlasts it with room to record the result.
      leaseMs: 2 * config.REGISTRY_TIMEOUT_MS + 30_000,
      observer: new CheckMetrics(app.metrics, app.db)
    })

    // A job handed back by a replica that is shutting down is taken at once, not at the next poll.
    app.notifications.on(CHECK_JOBS_DUE_CHANNEL, () => worker.wake())
    // While the replica drains, the checks under way go on but no new job is taken; once it stops
    // accepting requests, what is still running is cut short and handed back.
    app.readiness.onDraining(() => worker.pause())
    app.addHook('preClose', async () => worker.stop())

    app.addHook('onReady', async () => {
      worker.start()
      log.info({ workerId: worker.id, concurrency: config.CHECK_CONCURRENCY }, 'check worker started')
    })
    app.addHook('onClose', async () => {
      await worker.stop()
    })
  },
  { name: 'checks', dependencies: ['database', 'registry-client', 'credentials', 'changes', 'notifications', 'health'] }
)
