import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { bearerToken } from './bearer.js'
import { TokenVerifier } from './token-verifier.js'
import type { Principal } from './scopes.js'

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
    app.decorate('tokens', new TokenVerifier(app.db, app.log))
    app.decorateRequest('principal', null as unknown as Principal)
    // Callback-style: with the token cached (the usual case) the check completes synchronously,
    // without the promise and microtask turn an async hook costs on every request.
    app.addHook('onRequest', (request, _reply, done) => {
      if (request.is404 || request.routeOptions.config.public) return done()
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
    })
  },
  { name: 'auth', dependencies: ['database'] }
)
