import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { splitList } from '../config.js'
import { createRegistryClient, type RegistryClient } from './client.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The one registry client of the process: checks and verifications share its connections and tokens. */
    registryClient: RegistryClient
  }
}

// Manifests, indexes, signature payloads and token answers are small; anything bigger is not an
// image we can vouch for.
const MAX_REGISTRY_BODY_BYTES = 4 * 1024 * 1024

export default fp(
  async function registryClient(app: FastifyInstance) {
    const { config } = app
    const client = createRegistryClient({
      insecureHosts: splitList(config.REGISTRY_INSECURE_HOSTS),
      allowedPrivateHosts: splitList(config.REGISTRY_ALLOWED_PRIVATE_HOSTS),
      connectTimeoutMs: config.REGISTRY_CONNECT_TIMEOUT_MS,
      totalTimeoutMs: config.REGISTRY_TIMEOUT_MS,
      maxBodyBytes: MAX_REGISTRY_BODY_BYTES,
      logger: app.log.child({ component: 'registry-client' })
    })
    app.decorate('registryClient', client)
    // Registered before the workers, so closed after them: onClose hooks run in reverse order.
    app.addHook('onClose', async () => client.close())
  },
  { name: 'registry-client' }
)
