import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { ProblemSchema } from './problem.js'
import { transformContract, type OpenApiObject } from './openapi-transform.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The body may be left out (the route fills in its default): the contract says so. */
    optionalBody?: boolean
  }
}

interface OpenApiDocument {
  paths?: Record<string, Record<string, { operationId?: string; requestBody?: { required?: boolean } }>>
}

export const API_TAGS = [
  { name: 'health', description: 'Liveness and readiness probes' },
  { name: 'tokens', description: 'API tokens: who may call the service, with which scopes and projects' },
  { name: 'credentials', description: 'Registry credentials of a project, encrypted at rest' },
  { name: 'images', description: 'Images associated with the store' },
  { name: 'versions', description: 'Publishing versions of an image and their release lifecycle' },
  { name: 'rollouts', description: 'Staged rollouts of released versions: the stages reached, pause, resume, abort, automatic advance' },
  { name: 'resolve', description: 'Resolving version specs like 1.latest at pipeline job start' },
  { name: 'events', description: 'The catalog-wide event feed: every change, in commit order' },
  { name: 'webhooks', description: 'Signed webhook subscriptions: events pushed to receivers, with a delivery log and redelivery' }
]

// The contract is generated from the route schemas, so it cannot drift from what the code checks.
// Schemas with an $id become named components; every route is bearer-protected unless it says
// `security: []`.
export default fp(
  async function openapi(app: FastifyInstance) {
    app.addSchema(ProblemSchema)
    // @fastify/swagger marks every request body required; these routes take none as well.
    const optionalBodies = new Set<string>()
    app.addHook('onRoute', (route) => {
      const id = (route.schema as { operationId?: string } | undefined)?.operationId
      if (route.config?.optionalBody && id) optionalBodies.add(id)
    })
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'ci-image-store',
          version: '1.0.0',
          description:
            'The image store of a CI platform: associate container images, publish server-numbered versions, prove each can be pulled, release them, and resolve `N.latest` to an exact, digest-pinned version at job start. Errors are RFC 9457 `application/problem+json` with a stable `code`. JSON bodies are validated as sent, without type conversion (`""` is not null, `12345` is not a string); query parameters are converted from text as their schema says (`limit=5`, a repeated parameter is a list). A query parameter an operation does not list is refused with 400 `VALIDATION_FAILED`, on every operation. A request must arrive whole within the time limits of the server (default: headers 10 s, whole request 30 s), else it is answered 408 `REQUEST_TIMEOUT` and its connection closed.',
          license: { name: 'UNLICENSED', identifier: 'UNLICENSED' }
        },
        servers: [{ url: 'http://127.0.0.1:3000', description: 'Local default (npm start)' }],
        tags: API_TAGS,
        components: {
          securitySchemes: {
            bearerAuth: { type: 'http', scheme: 'bearer', description: 'API token (`cis_…`), created with POST /v1/tokens' }
          }
        },
        security: [{ bearerAuth: [] }]
      },
      transformObject: (document) => {
        const openapiObject = 'openapiObject' in document ? document.openapiObject : document.swaggerObject
        for (const item of Object.values((openapiObject as OpenApiDocument).paths ?? {})) {
          for (const operation of Object.values(item)) {
            if (operation.requestBody && operation.operationId && optionalBodies.has(operation.operationId))
              operation.requestBody.required = false
          }
        }
        return transformContract(openapiObject as OpenApiObject)
      },
      refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) }
    })
    // The reference page is public like the contract it renders.
    await app.register(async (docs) => {
      docs.addHook('onRoute', (route) => {
        route.config = { ...route.config, public: true }
      })
      await docs.register(swaggerUi, { routePrefix: '/docs', uiConfig: { docExpansion: 'list', deepLinking: true } })
    })
    // The contract changes only with a deployment: caches may keep it a few minutes, then revalidate
    // it (ETag, 304); it is serialized once.
    let contract: string | undefined
    app.get('/openapi.json', { schema: { hide: true }, config: { public: true, revalidation: true } }, (_request, reply) => {
      contract ??= JSON.stringify(app.swagger())
      reply.header('cache-control', 'public, max-age=300').type('application/json; charset=utf-8').send(contract)
    })
  },
  { name: 'openapi' }
)
