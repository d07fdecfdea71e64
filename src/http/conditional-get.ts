import { Type } from '@sinclair/typebox'
import type { FastifyInstance, onSendHookHandler, RouteOptions } from 'fastify'
import { bodyDigest, noneMatchHits } from './entity-tags.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Whether a GET's answer carries an ETag and If-None-Match is answered 304. Default: every GET
     * that needs a token (the API's resources and pages); a public route opts in (the contract), an
     * answer that is never cached opts out (resolve, the hot path).
     */
    revalidation?: boolean
  }
}

const IF_NONE_MATCH = Type.Optional(
  Type.String({
    maxLength: 1024,
    description: 'The ETag of the copy you hold: while it is still current the answer is 304 without a body'
  })
)
const ETAG_HEADER = {
  ETag: Type.String({
    description: 'Changes whenever the body does; send it back in If-None-Match',
    examples: ['W/"q1Zc3vCkXgE2dJ9qf2Vb4s5XyNA"']
  })
}
const NOT_MODIFIED = Type.Null({ description: 'Not modified: the If-None-Match tag is still current; no body', headers: ETAG_HEADER })

// The body is hashed as serialized, before compression, so the tag is weak: the same body is also
// sent compressed. A route's own strong tag (an image's revision, which If-Match checks) is kept in
// front, so it stays readable, and the digest makes it change with everything else the body carries.
const revalidate: onSendHookHandler = (request, reply, payload, done) => {
  if (reply.statusCode !== 200 || !(typeof payload === 'string' || Buffer.isBuffer(payload))) return done(null, payload)
  const own = reply.getHeader('etag')
  const digest = bodyDigest(payload)
  const etag = typeof own === 'string' && own.endsWith('"') ? `${own.slice(0, -1)}-${digest}"` : `W/"${digest}"`
  reply.header('etag', etag)
  if (!noneMatchHits(request.headers['if-none-match'], etag)) return done(null, payload)
  reply.code(304)
  reply.removeHeader('content-type')
  // HEAD keeps the body for Fastify's HEAD handler, which counts it into Content-Length (what a 200
  // would have sent, as RFC 9110 allows) and sends none; a GET's 304 goes without either.
  done(null, request.method === 'HEAD' ? payload : null)
}

function revalidated(route: RouteOptions): boolean {
  const methods = Array.isArray(route.method) ? route.method : [route.method]
  if (!methods.includes('GET') && !methods.includes('HEAD')) return false
  const chosen = route.config?.revalidation
  if (chosen !== undefined) return chosen
  return !route.config?.public && !route.schema?.hide
}

/** ETags and 304 on the GETs that revalidate, documented in their contract (If-None-Match, 304). */
export function installConditionalGet(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!revalidated(route)) return
    const existing = route.onSend === undefined ? [] : Array.isArray(route.onSend) ? route.onSend : [route.onSend]
    // First of the route's own hooks, so compression (appended later) sees the tagged body.
    if (!existing.includes(revalidate)) route.onSend = [revalidate, ...existing]
    const schema = route.schema
    if (!schema?.response || schema.hide) return
    const headers = (schema.headers ?? Type.Object({}, { additionalProperties: true })) as { properties?: Record<string, unknown> }
    schema.headers = { ...headers, properties: { ...headers.properties, 'if-none-match': IF_NONE_MATCH } }
    const responses = schema.response as Record<number, unknown>
    const ok = responses[200] as { headers?: Record<string, unknown> } | undefined
    if (ok && !ok.headers?.ETag) responses[200] = { ...ok, headers: { ...ok.headers, ...ETAG_HEADER } }
    responses[304] ??= NOT_MODIFIED
  })
}
