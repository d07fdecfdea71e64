import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import { bearerToken } from '../auth/bearer.js'
import { requireScope, type Principal } from '../auth/scopes.js'

// Both sides hashed first: timingSafeEqual needs equal lengths, and a length check of its own would
// tell a guesser the token's length.
const digest = (text: string): Buffer => createHash('sha256').update(text).digest()

/**
 * Who may read /metrics: anyone with METRICS_PUBLIC; otherwise a scraper sending METRICS_TOKEN, or
 * an admin API token. Anything else is refused as on every other route: 401 without a valid token,
 * 403 for a valid one that is not admin.
 */
export function metricsAccess(app: FastifyInstance): onRequestHookHandler {
  const { METRICS_PUBLIC, METRICS_TOKEN } = app.config
  const scrapeToken = METRICS_TOKEN === undefined ? undefined : digest(METRICS_TOKEN)
  return (request, _reply, done) => {
    if (METRICS_PUBLIC) return done()
    let token: string
    try {
      token = bearerToken(request.headers.authorization)
    } catch (error) {
      return done(error as Error)
    }
    if (scrapeToken && timingSafeEqual(digest(token), scrapeToken)) return done()
    const admitAdmin = (principal: Principal) => {
      try {
        requireScope(principal, 'admin')
        request.principal = principal
        done()
      } catch (error) {
        done(error as Error)
      }
    }
    try {
      const cached = app.tokens.verifyCached(token)
      if (cached) return admitAdmin(cached)
    } catch (error) {
      return done(error as Error)
    }
    app.tokens.verify(token).then(admitAdmin, done)
  }
}
