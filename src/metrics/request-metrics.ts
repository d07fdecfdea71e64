import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Registry } from 'prom-client'
import { BoundHistogram, type HistogramSeries } from './bound-metrics.js'

/** The route label of every request no route matched (404, 405): one value, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched'

const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx']
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

type ObserveResponse = (request: FastifyRequest, reply: FastifyReply, done: () => void) => void

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * RED metrics: one histogram per route template, method and status class, whose count is the
 * request rate and whose 5xx series are the errors. Each route gets its own response hook with its
 * series bound when first met, so a request costs an array look-up and an observe; the route label
 * is the template (`/v1/images/:code`), never the path, so image codes do not make new series.
 * Routes declared before this runs are not seen: register it before any route.
 */
export function installRequestMetrics(app: FastifyInstance, registry: Registry): void {
  const duration = new BoundHistogram(registry, {
    name: 'ci_image_store_http_request_duration_seconds',
    help: 'Time from receiving a request to finishing its answer, by route template, method and status class (2xx, 4xx, 5xx)',
    labelNames: ['route', 'method', 'status_class'],
    buckets: BUCKETS
  })

  const observer = (route: string, methodOf: (method: string) => string): ObserveResponse => {
    const byMethod = new Map<string, (HistogramSeries | undefined)[]>()
    return (request, reply, done) => {
      const method = methodOf(request.method)
      let byClass = byMethod.get(method)
      if (!byClass) byMethod.set(method, (byClass = []))
      const digit = Math.floor(reply.statusCode / 100)
      const series = (byClass[digit] ??= duration.series(route, method, STATUS_CLASSES[digit - 1] ?? 'other'))
      series.observe(reply.elapsedTime / 1000)
      done()
    }
  }
  const boundedMethod = (method: string) => (KNOWN_METHODS.has(method) ? method : 'other')

  app.addHook('onRoute', (route) => {
    const existing = route.onResponse === undefined ? [] : Array.isArray(route.onResponse) ? route.onResponse : [route.onResponse]
    route.onResponse = [...existing, observer(route.url, (method) => method)]
  })
  // Requests no route matched run the not-found handler's hooks, which are the app's own.
  const unmatched = observer(UNMATCHED_ROUTE, boundedMethod)
  app.addHook('onResponse', (request, reply, done) => (request.is404 ? unmatched(request, reply, done) : done()))
}
