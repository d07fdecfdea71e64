import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { installRequestMetrics } from './request-metrics.js'
import { registerReplicaMetrics } from './replica-metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's metrics registry: features register their own metrics in it (served at /metrics). */
    metrics: Registry
  }
}

const REDUNDANT_DEFAULTS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']

// One registry per app, never prom-client's global one: tests build many apps in one process, and
// each must count only its own requests.
export default fp(
  async function metrics(app: FastifyInstance) {
    const registry = new Registry()
    collectDefaultMetrics({ register: registry })
    // Gauges named like counters (promtool refuses them), and only sums of the per-type gauges.
    for (const name of REDUNDANT_DEFAULTS) registry.removeSingleMetric(name)
    installRequestMetrics(app, registry)
    registerReplicaMetrics(app, registry)
    app.decorate('metrics', registry)
  },
  { name: 'metrics', dependencies: ['database'] }
)
