import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { IdempotencyKeyHeader, IDEMPOTENCY_HEADER } from '../idempotency/idempotency.js'
import { imageForPublishing, imageForReading } from './version-access.js'
import { versionNotFound } from './version-actions.service.js'
import { parseVersion } from './version-number.js'
import {
  ImageCodeParams,
  ListVersionsQuery,
  SubmitVersionBody,
  VersionPageSchema,
  VersionParams,
  VersionSchema,
  type Version
} from './versions.schemas.js'
import { findVersionByNumber, listVersions } from './versions.repository.js'
import { submitVersion } from './submit-version.service.js'
import { toVersion } from './version-view.js'
import { pendingApprovals, viewVersion } from './version-view.service.js'
import type { CheckQueue } from './check-queue.js'

const versionsRoutes: FastifyPluginAsyncTypebox<{ queue: CheckQueue }> = async (app, { queue }) => {
  app.post(
    '/v1/images/:code/versions',
    {
      schema: {
        operationId: 'submitVersion',
        tags: ['versions'],
        summary: 'Submit a new version; the server computes its number and starts the pullability check',
        description:
          'The first version is 1.0.0; later ones bump the highest non-cancelled version (or the highest of `line`) by `releaseType`. One version per image may be in progress (checking, check_failed, testing, awaiting_approval): another submission is a 409 naming it. Send `Idempotency-Key` to make retries safe.',
        params: ImageCodeParams,
        headers: IdempotencyKeyHeader,
        body: ref(SubmitVersionBody),
        response: {
          202: {
            ...ref(VersionSchema),
            description: 'Accepted: the version is checking; Location is its URL',
            headers: {
              Location: Type.String({ description: 'The URL of the new version', examples: ['/v1/images/node-20/versions/1.5.0'] }),
              'Idempotency-Replayed': Type.Optional(
                Type.Literal('true', {
                  description: 'Present when this is the stored answer to an earlier request with the same Idempotency-Key'
                })
              )
            }
          },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409, 422)
        }
      }
    },
    async (request, reply) => {
      const image = await imageForPublishing(app.db, request.principal, request.params.code)
      const answer = await submitVersion(
        {
          db: app.db,
          principal: request.principal,
          requestId: request.id,
          idempotencyKey: request.headers[IDEMPOTENCY_HEADER],
          changes: app.changes,
          queue
        },
        image,
        request.body
      )
      request.log.info({ image: image.code, status: answer.status, location: answer.headers.location }, 'version submitted')
      // Only successes are stored, so a replayed answer is the 202 the original request got.
      return reply
        .code(answer.status as 202)
        .headers(answer.headers)
        .send(answer.body as Version)
    }
  )

  app.get(
    '/v1/images/:code/versions',
    {
      schema: {
        operationId: 'listVersions',
        tags: ['versions'],
        summary: 'List the versions of an image, newest first by number',
        params: ImageCodeParams,
        querystring: ListVersionsQuery,
        response: {
          200: ref(VersionPageSchema, 'A page of versions'),
          ...problemResponses(...AUTH_PROBLEMS, 404)
        }
      }
    },
    async (request) => {
      const image = await imageForReading(app.db, request.principal, request.params.code)
      const { limit, cursor, status, line } = request.query
      const after = cursor ? decodeCursor(cursor, ['int', 'int', 'int', 'date', 'uuid'] as const) : undefined
      const rows = await listVersions(
        app.db,
        image.id,
        { statuses: status, line },
        limit + 1,
        after && { major: after[0], minor: after[1], patch: after[2], submittedAt: after[3], id: after[4] }
      )
      const approvals = await pendingApprovals(app.db, rows)
      return keysetPage(
        rows,
        limit,
        (row) => toVersion(row, image, approvals.get(row.id)),
        (last) => [last.major, last.minor, last.patch, last.submittedAt.toISOString(), last.id]
      )
    }
  )

  app.get(
    '/v1/images/:code/versions/:version',
    {
      schema: {
        operationId: 'getVersion',
        tags: ['versions'],
        summary: 'Get one version (a reused number names the non-cancelled version, else the newest cancelled one)',
        params: VersionParams,
        response: { 200: { ...ref(VersionSchema), description: 'The version' }, ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => {
      const image = await imageForReading(app.db, request.principal, request.params.code)
      const number = parseVersion(request.params.version)
      const row = number && (await findVersionByNumber(app.db, image.id, number))
      if (!row) throw versionNotFound(image.code, request.params.version)
      return viewVersion(app.db, image, row)
    }
  )
}

export default versionsRoutes
