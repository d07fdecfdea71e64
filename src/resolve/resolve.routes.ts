import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { requireScope } from '../auth/scopes.js'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { problemBody, toProblem } from '../http/error-handler.js'
import { ProblemError, ProblemSchema } from '../http/problem.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import {
  GONE_EXAMPLES,
  ResolutionSchema,
  ResolveBatchBody,
  ResolveBatchResultSchema,
  ResolveParams,
  ResolveQuery,
  STALE_HEADERS,
  StaleHeaderDocs,
  type PullSecret,
  type ResolveBatchResult
} from './resolve.schemas.js'
import type { Resolved, Resolver } from './resolve.service.js'

// Resolution answers may carry pull secrets and change on every release: never cache them.
const NO_STORE = { 'cache-control': 'no-store' }
const JSON_TYPE = 'application/json; charset=utf-8'

// Both 410s of an exact request, which the generic text ("withdrawn") would leave half told.
const GONE_RESPONSE = {
  description:
    'The exact version asked for cannot be handed out: VERSION_WITHDRAWN for good, or VERSION_UNAVAILABLE while its pinned digest is gone from the registry ' +
    '(or no longer validly signed), until a verification finds it pullable again. Both name servingVersion, what N.latest of its major resolves to now.',
  content: { 'application/problem+json': { schema: ref(ProblemSchema), examples: GONE_EXAMPLES } }
}

const resolveRoutes: FastifyPluginAsyncTypebox<{ resolver: Resolver }> = async (app, { resolver }) => {
  // A resolution without a pull secret is one shared, frozen object per (snapshot, variant, spec)
  // (see ResolutionMemo), so its body is serialized once, by the route's own response
  // serializer (the bytes are the same), and lives as long as that object.
  const bodies = new WeakMap<object, string>()
  const send = (reply: FastifyReply, { resolution, stale }: Resolved): void => {
    reply.headers(NO_STORE)
    if (stale) reply.headers(STALE_HEADERS)
    if (resolution.pullSecret !== undefined) {
      reply.send(resolution)
      return
    }
    let body = bodies.get(resolution)
    if (body === undefined) bodies.set(resolution, (body = reply.serialize(resolution) as string))
    // A string with a JSON content type is sent as it is, not serialized again.
    reply.type(JSON_TYPE).send(body)
  }
  app.get(
    '/v1/images/:code/resolve',
    {
      // Every resolution is already recorded in the resolution log; per-request info lines on the
      // hottest path would only cost throughput. Server errors are still logged.
      logLevel: 'warn',
      // Answers are small and never cached (no-store): neither compressed nor tagged.
      compress: false,
      config: { revalidation: false },
      schema: {
        operationId: 'resolveVersion',
        tags: ['resolve'],
        summary: 'Resolve a version spec (1.latest, 1.2.latest, latest, 1.2.3) to an exact, digest-pinned version for a project (resolve)',
        params: ResolveParams,
        querystring: ResolveQuery,
        response: {
          200: {
            ...ref(
              ResolutionSchema,
              'The resolved version; answered from the last known state, marked by Warning and X-Cache-Stale, while the database is unreachable'
            ),
            headers: StaleHeaderDocs
          },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409),
          410: GONE_RESPONSE
        }
      }
    },
    // Not async: a cached answer is sent before the handler returns, without a promise; only a
    // lookup that needs the database (or a pull secret) returns one.
    (request, reply) => {
      const { code } = request.params
      const { version, project, pipeline, build } = request.query
      requireScope(request.principal, 'resolve', project)
      const input = { code, spec: version, project, pipeline, build }
      const caller = { principal: request.principal, log: request.log }
      const cached = resolver.resolveNow(input, caller)
      if (cached) {
        send(reply, cached)
        return
      }
      return resolver.resolve(input, caller).then((resolved) => send(reply, resolved))
    }
  )

  app.post(
    '/v1/resolve',
    {
      logLevel: 'warn',
      schema: {
        operationId: 'resolveBatch',
        tags: ['resolve'],
        summary: 'Resolve the images of many jobs at once (resolve); each entry gets a resolution or its own problem',
        body: ref(ResolveBatchBody),
        response: {
          200: {
            ...ref(
              ResolveBatchResultSchema,
              'One result per entry, in order; marked by Warning and X-Cache-Stale when any is the last known state'
            ),
            headers: StaleHeaderDocs
          },
          ...problemResponses(...AUTH_PROBLEMS)
        }
      }
    },
    async (request, reply) => {
      const { project, pipeline, build, images } = request.body
      requireScope(request.principal, 'resolve', project)
      const secrets = new Map<string, Promise<PullSecret | undefined>>()
      let anyStale = false
      const results: ResolveBatchResult['results'] = await Promise.all(
        images.map(async ({ image, version }) => {
          try {
            const { resolution, stale } = await resolver.resolve(
              { code: image, spec: version, project, pipeline, build },
              { principal: request.principal, log: request.log, secrets }
            )
            anyStale ||= stale
            return { image, version, resolution }
          } catch (error) {
            // An entry's own problem (or an unreachable database for an image never cached) stays
            // with that entry; anything else is a server error for the whole request.
            if (!(error instanceof ProblemError) && !isDatabaseUnavailable(error)) throw error
            const problem = toProblem(error as Error)
            return {
              image,
              version,
              problem: problemBody(problem, '/v1/resolve', request.id)
            }
          }
        })
      )
      reply.headers(NO_STORE)
      if (anyStale) reply.headers(STALE_HEADERS)
      return { results }
    }
  )
}

export default resolveRoutes
