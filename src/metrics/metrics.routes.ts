import fp from 'fastify-plugin'
import { Type } from '@sinclair/typebox'
import type { FastifyInstance } from 'fastify'
import { problemResponses } from '../http/schemas.js'
import { metricsAccess } from './metrics-access.js'

const EXAMPLE = `# HELP ci_image_store_resolve_answers_total Resolve answers by outcome
# TYPE ci_image_store_resolve_answers_total counter
ci_image_store_resolve_answers_total{outcome="fresh"} 1024
ci_image_store_resolve_answers_total{outcome="stale"} 0
`

const RATE_LIMITED = {
  ...problemResponses(429)[429]!,
  description: 'Too many failed authentications from this address; retry after Retry-After',
  headers: { 'retry-after': { type: 'string', description: 'Seconds until the address may try again' } }
}

// Declared after the auth and rate-limit plugins (see app.ts): public to them because it checks
// its own tokens (METRICS_TOKEN is not an API token), yet guarded against token guessing like the rest.
export default fp(
  async function metricsRoutes(app: FastifyInstance) {
    const registry = app.metrics
    app.get(
      '/metrics',
      {
        config: { public: true, checksTokens: !app.config.METRICS_PUBLIC },
        logLevel: 'warn',
        onRequest: metricsAccess(app),
        schema: {
          operationId: 'getMetrics',
          tags: ['health'],
          summary: 'Prometheus metrics of this replica (admin or METRICS_TOKEN)',
          description:
            'The Prometheus text exposition format 0.0.4: request rate, errors and duration per route, resolve answers by outcome, the resolution log, the check queue, the database pool, LISTEN, readiness and process metrics. ' +
            'Open to anyone with METRICS_PUBLIC=true; otherwise send `Authorization: Bearer <METRICS_TOKEN>` or an admin API token. Not rate limited, except for addresses that failed authentication too often.',
          response: {
            200: {
              description: 'Every metric of this replica',
              content: { 'text/plain': { schema: Type.String({ examples: [EXAMPLE] }) } }
            },
            ...problemResponses(401, 403, 503),
            429: RATE_LIMITED
          }
        }
      },
      async (_request, reply) => {
        const body = await registry.metrics()
        return reply.type(registry.contentType).send(body)
      }
    )
  },
  { name: 'metrics-routes', dependencies: ['metrics', 'auth'] }
)
