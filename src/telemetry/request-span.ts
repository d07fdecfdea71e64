import type { Span } from '@opentelemetry/api'
import { ATTR_URL_PATH, ATTR_URL_QUERY } from '@opentelemetry/semantic-conventions'
import type { FastifyRequest } from 'fastify'
import { bindRequestLog } from '../http/logging.js'

/**
 * Names a request's server span by its route template (`GET /v1/images/:code`, never the path,
 * so names stay few) and ties the request's log lines to it.
 */
export function describeRequestSpan(span: Span, request: FastifyRequest): void {
  const route = request.routeOptions.url
  span.updateName(route === undefined ? request.method : `${request.method} ${route}`)
  // @fastify/otel records the whole URL as url.path; the semantic conventions keep the query apart.
  const query = request.url.indexOf('?')
  if (query !== -1) span.setAttributes({ [ATTR_URL_PATH]: request.url.slice(0, query), [ATTR_URL_QUERY]: request.url.slice(query + 1) })
  const { traceId, spanId } = span.spanContext()
  bindRequestLog(request.log, { traceId, spanId })
}
