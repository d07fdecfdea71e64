import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import deliveriesRoutes from './deliveries.routes.js'
import deliveryPlugin from './delivery/delivery.plugin.js'
import { scheduleDeliveryPruning } from './delivery-retention.js'
import webhooksRoutes from './webhooks.routes.js'

export default fp(
  async function webhooks(app: FastifyInstance) {
    await app.register(webhooksRoutes)
    await app.register(deliveriesRoutes)
    await app.register(deliveryPlugin)
    const stopPruning = scheduleDeliveryPruning(app)
    app.addHook('onClose', async () => stopPruning())
  },
  { name: 'webhooks', dependencies: ['database', 'auth', 'credentials'] }
)
