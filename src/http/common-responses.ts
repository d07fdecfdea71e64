import type { FastifyInstance } from 'fastify'
import { problemResponses } from './schemas.js'

// Methods whose requests Fastify parses a body for, whether or not the route reads one.
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The problems any route can answer before (or beside) its handler, added to each route's documented
 * responses so the contract lists every status a client can meet: 400 (a malformed URL, a missing
 * Host, an unknown query parameter), 408 (too slow), 431 (headers too large), 500; 414 where a path
 * parameter can be too long; 413 and 415 wherever a body is parsed. A route's own entry for a
 * status wins.
 */
export function commonProblems(method: string, url: string): number[] {
  const statuses = [400, 408, 431, 500]
  if (url.includes(':') || url.includes('*')) statuses.push(414)
  if (BODY_METHODS.has(method)) statuses.push(413, 415)
  return statuses.sort((a, b) => a - b)
}

const RATE_LIMITED = {
  429: {
    ...problemResponses(429)[429]!,
    description: 'Too many requests for this token, or too many failed authentications from this address; retry after Retry-After',
    headers: {
      'retry-after': { type: 'string', description: 'Seconds until the budget is renewed' },
      'ratelimit-limit': { type: 'string', description: 'Requests allowed per minute' },
      'ratelimit-remaining': { type: 'string', description: 'Requests left in this window (0)' },
      'ratelimit-reset': { type: 'string', description: 'Seconds until the window ends' }
    }
  }
}

export function installCommonResponses(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (!route.schema?.response || route.schema.hide) return
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const statuses = [...new Set(methods.flatMap((method) => commonProblems(method, route.url)))]
    // Every route that needs a token is rate limited (see rate-limits.ts); public ones are not.
    const limited = route.config?.public ? {} : RATE_LIMITED
    route.schema.response = { ...problemResponses(...statuses), ...limited, ...(route.schema.response as Record<number, unknown>) }
  })
}
