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
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.config.public || !request.routeOptions.url) return
      request.principal = await app.tokens.verify(bearerToken(request.headers.authorization))
    })
  },
  { name: 'auth', dependencies: ['database'] }
)
