import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { requestTimestamp } from '../http/request-timestamp.js'
import { notFound } from '../http/problem.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { parseVersion, type VersionNumber } from '../versions/version-number.js'
import { versionExists } from '../versions/versions.repository.js'
import { timeRange, windowStart } from './log-window.js'
import { readableLog } from './readable-log.js'
import { listResolutions, versionUsage } from './resolutions.repository.js'
import {
  ResolutionRecordPageSchema,
  ResolutionsParams,
  ResolutionsQuery,
  UsageParams,
  UsageQuery,
  VersionUsageSchema
} from './resolutions.schemas.js'

const resolutionsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/images/:code/resolutions',
    {
      schema: {
        operationId: 'listResolutions',
        tags: ['resolve'],
        summary: 'Which pipelines resolved which version of an image, newest first (images:read)',
        description:
          'The resolution log of an image, newest first, within a time range: `since` defaults to 30 days before `until` (or now). Readable by the owner project for every project, by a consumer for its own.',
        params: ResolutionsParams,
        querystring: ResolutionsQuery,
        response: {
          200: ref(ResolutionRecordPageSchema, 'A page of resolutions, newest first'),
          ...problemResponses(...AUTH_PROBLEMS, 404)
        }
      }
    },
    async (request) => {
      const { limit, cursor, project, version, since, until } = request.query
      const range = timeRange(
        since ? requestTimestamp(since, 'since') : undefined,
        until ? requestTimestamp(until, 'until') : undefined,
        new Date()
      )
      const { image, projects } = await readableLog(app.db, request.principal, request.params.code, project)
      const after = cursor ? decodeCursor(cursor, ['date', 'id'] as const) : undefined
      const filter = { imageId: image.id, projects, ...range, ...(version ? { version } : {}) }
      const rows = await listResolutions(app.db, filter, limit + 1, after && { resolvedAt: after[0], id: after[1] })
      return keysetPage(
        rows,
        limit,
        (r) => ({
          spec: r.spec,
          version: r.version,
          status: r.status,
          digest: r.digest,
          project: r.project,
          pipeline: r.pipeline,
          build: r.build,
          count: r.count,
          firstResolvedAt: r.firstResolvedAt.toISOString(),
          resolvedAt: r.resolvedAt.toISOString()
        }),
        (last) => [last.resolvedAt.toISOString(), Number(last.id)]
      )
    }
  )

  app.get(
    '/v1/images/:code/versions/:version/usage',
    {
      schema: {
        operationId: 'getVersionUsage',
        tags: ['resolve'],
        summary: 'The projects that resolved one version, with counts and last time (images:read)',
        params: UsageParams,
        querystring: UsageQuery,
        response: { 200: ref(VersionUsageSchema, 'Projects that resolved the version'), ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => {
      const { code, version } = request.params
      const { window } = request.query
      const since = windowStart(window, app.config.RESOLUTION_RETENTION_DAYS, new Date())
      const { image, projects } = await readableLog(app.db, request.principal, code, undefined)
      // The schema's pattern is version-number's own, so the text parses.
      if (!(await versionExists(app.db, image.id, parseVersion(version) as VersionNumber))) {
        throw notFound(
          'VERSION_NOT_FOUND',
          `Image "${code}" has no version ${version}; list its versions with GET /v1/images/${code}/versions.`,
          { image: code, version }
        )
      }
      const usage = await versionUsage(app.db, image.id, version, projects, since)
      return {
        image: code,
        version,
        window,
        since: since.toISOString(),
        projects: usage.map((u) => ({ ...u, lastResolvedAt: u.lastResolvedAt.toISOString() }))
      }
    }
  )
}

export default resolutionsRoutes
