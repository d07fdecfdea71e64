import fp from 'fastify-plugin'
import type { Tracing } from './tracing.js'

/**
 * Registered before any route or hook, on the root instance: @fastify/otel sees each route as it
 * is added and opens every request's span in its own first hook.
 */
export default fp<{ tracing: Tracing }>(
  async (app, { tracing }) => {
    await app.register(tracing.instrumentation.plugin())
    // onClose runs after the last request has been answered, so its span is in the final flush.
    app.addHook('onClose', async () => {
      await tracing.shutdown()
    })
  },
  { name: 'tracing' }
)
