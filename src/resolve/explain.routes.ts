import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { isAdmin } from '../auth/scopes.js'
import { actsForOwner } from '../images/image-access.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { explainResolution } from './explain.js'
import { explainAccess, imageToExplain } from './explain-access.js'
import { ExplainQuery, ExplanationSchema } from './explain.schemas.js'
import { invalidSpec } from './resolve-problems.js'
import { ResolveParams, STALE_HEADERS, StaleHeaderDocs } from './resolve.schemas.js'
import { parseVersionSpec } from './select-version.js'
import type { SnapshotCache } from './snapshot-cache.js'

const explainRoutes: FastifyPluginAsyncTypebox<{ cache: SnapshotCache }> = async (app, { cache }) => {
  app.get(
    '/v1/images/:code/resolve/explain',
    {
      schema: {
        operationId: 'explainResolution',
        tags: ['resolve'],
        summary:
          'Why a project gets what it gets for a version spec: every version, chosen or skipped, and why (resolve, or images:read of the owner)',
        description:
          'Answers what GET /v1/images/{code}/resolve would answer the project now (`outcome`), and for every version resolve can meet, newest first, ' +
          'its verdict and the rule behind it: the same rules, from the same code, as resolve. Nothing is recorded in the resolution log and no pull ' +
          'secret is revealed. Allowed to a token that may resolve for the project (resolve scope) and to the publishers of the image (images:read or ' +
          'images:write for its owner project); an image not visible to the project is 404 as in resolve. A token that acts neither for the owner project ' +
          "nor for the debug project learns no more than resolve tells it: versions not released yet are left out, and a rollout's listed projects are " +
          'counted, not named.',
        params: ResolveParams,
        querystring: ExplainQuery,
        response: {
          200: {
            ...ref(
              ExplanationSchema,
              'The explanation; from the last known state, marked by Warning and X-Cache-Stale, while the database is unreachable'
            ),
            headers: StaleHeaderDocs
          },
          ...problemResponses(...AUTH_PROBLEMS, 404)
        }
      }
    },
    async (request, reply) => {
      const { code } = request.params
      const { version, project } = request.query
      const access = explainAccess(request.principal, project)
      const spec = parseVersionSpec(version)
      if (!spec) throw invalidSpec(version)
      const { snapshot, stale } = await cache.get(code)
      const image = imageToExplain(request.principal, access, code, project, snapshot)
      if (stale) reply.headers(STALE_HEADERS)
      return explainResolution(
        image,
        spec,
        version,
        project,
        access === 'publisher' || isAdmin(request.principal) || actsForOwner(request.principal, image) ? 'publisher' : 'consumer'
      )
    }
  )
}

export default explainRoutes
