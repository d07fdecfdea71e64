import fp from 'fastify-plugin'
import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import notificationsPlugin from '../db/notifications.plugin.js'
import { TOKEN_REVOKED_CHANNEL } from './tokens.repository.js'
import { bearerToken } from '../auth/bearer.js'
import { TokenVerifier } from './token-verifier.js'
import type { Principal } from '../auth/scopes.js'

declare module 'fastify' {
  interface FastifyInstance {
    tokens: TokenVerifier
  }
  interface FastifyRequest {
    /** The authenticated caller; set on every route that is not marked `config: { public: true }`. */
    principal: Principal
  }
  interface FastifyContextConfig {
    /** No token needed (health, docs, the contract). */
    public?: boolean
  }
}

// Every route needs a bearer token unless it says otherwise: forgetting to protect a new route is
// the mistake this default prevents.
export default fp(
  async function auth(app: FastifyInstance) {
    // Registered here so auth has it without app.ts knowing; features after auth use it too.
    await app.register(notificationsPlugin)
    const verifier = new TokenVerifier({ db: app.db, log: app.log, hearsRevocations: () => app.notifications.hearsOthers })
    app.notifications.on(TOKEN_REVOKED_CHANNEL, (tokenId) => verifier.revoked(tokenId))
    app.notifications.onConnect(() => void verifier.listenerConnected())
    app.decorate('tokens', verifier)
    app.decorateRequest('principal', null as unknown as Principal)
    // Callback-style: with the token cached (the usual case) the check completes synchronously,
    // without the promise and microtask turn an async hook costs on every request.
    const authenticate: onRequestHookHandler = (request, _reply, done) => {
      const token = bearerToken(request.headers.authorization)
      const cached = app.tokens.verifyCached(token)
      if (cached) {
        request.principal = cached
        return done()
      }
      app.tokens.verify(token).then((principal) => {
        request.principal = principal
        done()
      }, done)
    }
    // Attached to each route as it is declared rather than run for every request: deciding per
    // request whether the route is public cost a routeOptions object each time. Routes declared
    // before this plugin (the contract and the docs) are public by construction.
    app.addHook('onRoute', (route) => {
      if (route.config?.public) return
      route.onRequest = [
        authenticate,
        ...(route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest])
      ]
    })
  },
  { name: 'auth', dependencies: ['database'] }
)
