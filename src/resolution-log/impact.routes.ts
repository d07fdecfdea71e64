import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { ImpactParams, ImpactQuery, VersionImpactSchema } from './impact.schemas.js'
import { versionImpact } from './impact.service.js'

const impactRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/images/:code/versions/:version/impact',
    {
      schema: {
        operationId: 'getVersionImpact',
        tags: ['versions'],
        summary: 'Who a release would reach, or who is on a released version, from the resolution log (images:read)',
        description:
          "For a version not released yet (checking, check_failed, testing, awaiting_approval): which of N.latest, N.*, N.M.latest, N.M.* and latest its release would move (those no newer released, available version of the line holds), and the projects and pipelines that resolved them within the window, with counts, the last time and the version they got then. For a released version (or one withdrawn or cancelled since): the projects and pipelines that resolved the version itself within the window, the specs they asked for, and the version their last resolution of those specs gave (whether they moved on). Readable as the image's resolution log is (GET /v1/images/{code}/resolutions): the owner project sees every project, a consumer its own. At most 500 rows, most resolutions first; totals count them all.",
        params: ImpactParams,
        querystring: ImpactQuery,
        response: {
          200: ref(VersionImpactSchema, 'The impact of the version'),
          ...problemResponses(...AUTH_PROBLEMS, 404)
        }
      }
    },
    async (request) =>
      versionImpact({
        db: app.db,
        principal: request.principal,
        code: request.params.code,
        version: request.params.version,
        window: request.query.window,
        retentionDays: app.config.RESOLUTION_RETENTION_DAYS
      })
  )
}

export default impactRoutes
