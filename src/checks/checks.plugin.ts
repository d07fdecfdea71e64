import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { splitList } from '../config.js'
import { createRegistryClient } from '../registry/index.js'
import { CheckWorker } from './check-worker.js'
import { CheckMetrics } from './check-metrics.js'
import { CHECK_JOBS_DUE_CHANNEL } from './check-jobs.repository.js'

// Manifests, indexes and token answers are small; anything bigger is not an image we can vouch for.
const MAX_REGISTRY_BODY_BYTES = 4 * 1024 * 1024

/** Starts the check worker when the app is ready and stops it (waiting for running checks) on close. */
export default fp(
  async function checks(app: FastifyInstance) {
    const { config } = app
    const registry = createRegistryClient({
      insecureHosts: splitList(config.REGISTRY_INSECURE_HOSTS),
      allowedPrivateHosts: splitList(config.REGISTRY_ALLOWED_PRIVATE_HOSTS),
      connectTimeoutMs: config.REGISTRY_CONNECT_TIMEOUT_MS,
      totalTimeoutMs: config.REGISTRY_TIMEOUT_MS,
      maxBodyBytes: MAX_REGISTRY_BODY_BYTES,
      logger: app.log.child({ component: 'registry-client' })
    })
    const log = app.log.child({ component: 'check-worker' })
    const worker = new CheckWorker({
      db: app.db,
      changes: app.changes,
      log,
      checker: registry,
      revealCredential: async (id) => {
        const secret = await app.credentialSecrets.reveal(id)
        if (!secret) throw new Error(`credential ${id} no longer exists`)
        return { username: secret.username, password: secret.password, registries: secret.registries }
      },
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
      await registry.close()
    })
  },
  { name: 'checks', dependencies: ['database', 'credentials', 'changes', 'notifications', 'health'] }
)
