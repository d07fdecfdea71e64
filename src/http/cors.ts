import fp from 'fastify-plugin'
import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import { ConfigError, splitList } from '../config.js'

// What the routes read from a request, and what a page needs to read of an answer: conditional
// requests, idempotent submissions, request ids, trace context, rate limits, stale resolve answers.
const METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE']
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-Match',
  'If-None-Match',
  'X-Request-Id',
  'traceparent',
  'tracestate'
]
const EXPOSED_HEADERS = [
  'ETag',
  'Location',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  'X-Request-Id',
  'Warning',
  'X-Cache-Stale',
  'Idempotency-Replayed',
  'Allow'
]
// Spares a preflight before most calls of a session; an origin taken off the list stops soon after.
const PREFLIGHT_MAX_AGE_S = 600

/**
 * The origins of CORS_ORIGINS, each exactly as a browser sends it in Origin (scheme://host[:port],
 * lower case, no path): anything else would never match, so it is refused at start.
 */
export function parseCorsOrigins(value: string): string[] {
  return splitList(value).map((origin) => {
    let parsed: URL | undefined
    try {
      parsed = new URL(origin)
    } catch {
      parsed = undefined
    }
    if (!parsed || !['http:', 'https:'].includes(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `Invalid configuration: CORS_ORIGINS contains ${JSON.stringify(origin)}, which is not an origin as a browser sends it (scheme://host[:port], lower case, no path or trailing slash, e.g. https://ui.example.com)`
      )
    }
    return origin
  })
}

/**
 * Pages from the listed origins may call the API: preflights are answered 204 in an onRequest hook,
 * before authentication and rate limits (a preflight carries no token). Any other origin gets no
 * CORS header (the browser refuses the answer) and its preflight what OPTIONS gets without CORS, a
 * 405. With no origin listed nothing is registered.
 */
export default fp(
  async function corsPolicy(app: FastifyInstance) {
    const origins = new Set(parseCorsOrigins(app.config.CORS_ORIGINS))
    if (origins.size === 0) return
    await app.register(cors, {
      // A function, not the list: with a list the plugin answers any origin's preflight 204.
      origin: (origin, callback) => callback(null, origin !== undefined && origins.has(origin)),
      methods: METHODS,
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: PREFLIGHT_MAX_AGE_S,
      // An OPTIONS from a listed origin without Access-Control-Request-Method is answered like a
      // preflight rather than with the plugin's text/plain 400.
      strictPreflight: false
    })
  },
  { name: 'cors' }
)
