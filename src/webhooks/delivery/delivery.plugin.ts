import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { splitList } from '../../config.js'
import { DELIVERIES_DUE_CHANNEL } from './dispatch-batch.js'
import { Dispatcher } from './dispatcher.js'
import { DeliveryWorker } from './delivery-worker.js'
import { DeliveryMetrics } from './delivery-metrics.js'
import { createReceiverClient } from './receiver-client.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This replica's webhook dispatcher and delivery worker. */
    webhookDelivery: { dispatcher: Dispatcher; worker: DeliveryWorker }
  }
}

// Both look for work by themselves this often at the least; changes, NOTIFY and the timer of the
// next due retry wake them sooner.
const POLL_INTERVAL_MS = 5_000
const DISPATCH_BATCH = 500
// Room past the attempt's timeout to record its outcome before another replica may take it.
const LEASE_MARGIN_MS = 15_000

/** Dispatches outbox events to subscriptions and delivers them, from ready until close. */
export default fp(
  async function webhookDelivery(app: FastifyInstance) {
    const { config } = app
    const allowedPrivateHosts = splitList(config.WEBHOOK_ALLOWED_PRIVATE_HOSTS)
    const receivers = createReceiverClient({ allowedPrivateHosts, timeoutMs: config.WEBHOOK_TIMEOUT_MS })
    const log = app.log.child({ component: 'webhook-delivery' })
    const worker = new DeliveryWorker({
      db: app.db,
      log,
      sealer: app.secretSealer,
      receivers,
      allowedPrivateHosts,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      concurrency: config.WEBHOOK_CONCURRENCY,
      pollIntervalMs: POLL_INTERVAL_MS,
      leaseMs: config.WEBHOOK_TIMEOUT_MS + LEASE_MARGIN_MS,
      ...(app.hasDecorator('metrics') ? { observer: new DeliveryMetrics(app.metrics, app.db) } : {})
    })
    const dispatcher = new Dispatcher({
      db: app.db,
      changes: app.changes,
      log,
      pollIntervalMs: POLL_INTERVAL_MS,
      batchSize: DISPATCH_BATCH,
      onDispatched: () => worker.wake()
    })
    app.decorate('webhookDelivery', { dispatcher, worker })

    // Deliveries dispatched, handed back or redelivered anywhere are taken at once, not at the next poll.
    app.notifications.on(DELIVERIES_DUE_CHANNEL, () => worker.wake())
    // While the replica drains, the attempts under way go on but none is started; once it stops
    // accepting requests, what is still running is cut short and handed back.
    app.readiness.onDraining(() => worker.pause())
    const stop = async () => {
      await Promise.all([worker.stop(), dispatcher.stop()])
    }
    app.addHook('preClose', stop)
    app.addHook('onReady', async () => {
      dispatcher.start()
      worker.start()
      log.info({ workerId: worker.id, concurrency: config.WEBHOOK_CONCURRENCY }, 'webhook delivery started')
    })
    app.addHook('onClose', async () => {
      await stop()
      await receivers.close()
    })
  },
  { name: 'webhook-delivery', dependencies: ['database', 'changes', 'notifications', 'health', 'credentials'] }
)
