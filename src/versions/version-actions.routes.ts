import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { badRequest } from '../http/problem.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { imageForPublishing } from './version-access.js'
import { applyVersionAction } from './version-actions.service.js'
import type { PublisherAction } from './version-lifecycle.js'
import { parseVersion, type VersionNumber } from './version-number.js'
import { CancelBody, VersionParams, VersionSchema, WithdrawBody } from './versions.schemas.js'
import { toVersion } from './version-view.js'
import type { CheckQueue } from './check-queue.js'

const number = (text: string): VersionNumber => {
  const parsed = parseVersion(text)
  if (!parsed) throw badRequest('INVALID_VERSION', `"${text}" is not a version; use M.m.p such as 1.4.2.`)
  return parsed
}

const versionActionsRoutes: FastifyPluginAsyncTypebox<{ queue: CheckQueue }> = async (app, { queue }) => {
  type ActionRequest = Pick<FastifyRequest, 'principal' | 'id' | 'log'> & { params: { code: string; version: string } }
  const act = async (request: ActionRequest, action: PublisherAction, reason?: string) => {
    const image = await imageForPublishing(app.db, request.principal, request.params.code)
    const ctx = { db: app.db, principal: request.principal, requestId: request.id, changes: app.changes, queue }
    const row = await applyVersionAction(ctx, image, number(request.params.version), action, reason)
    request.log.info({ image: image.code, version: request.params.version, action, status: row.status }, 'version status changed')
    return toVersion(row, image.code)
  }
  const conflictNote = '409 when the current status does not allow it: the problem has `currentStatus` and `allowedActions`.'

  app.post(
    '/v1/images/:code/versions/:version/recheck',
    {
      schema: {
        operationId: 'recheckVersion',
        tags: ['versions'],
        summary: 'Check the version again after the image was pushed again (from check_failed or testing → checking)',
        description: `No body. The new digest is recorded when the check passes. ${conflictNote}`,
        params: VersionParams,
        response: {
          202: { ...ref(VersionSchema), description: 'Accepted: the version is checking again' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      }
    },
    async (request, reply) => reply.code(202).send(await act(request, 'recheck'))
  )

  app.post(
    '/v1/images/:code/versions/:version/release',
    {
      schema: {
        operationId: 'releaseVersion',
        tags: ['versions'],
        summary: 'Release a tested version to the store (testing → released)',
        description: `No body. ${conflictNote}`,
        params: VersionParams,
        response: {
          200: { ...ref(VersionSchema), description: 'Released' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      }
    },
    async (request) => act(request, 'release')
  )

  app.post(
    '/v1/images/:code/versions/:version/cancel',
    {
      schema: {
        operationId: 'cancelVersion',
        tags: ['versions'],
        summary: 'Cancel a version in progress (checking, check_failed or testing → cancelled); its number is free again',
        description: `The body ({reason}) is optional: send {} or no body at all. A check still running for it is ignored when it ends. ${conflictNote}`,
        params: VersionParams,
        body: ref(CancelBody),
        response: {
          200: { ...ref(VersionSchema), description: 'Cancelled' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      },
      config: { optionalBody: true },
      // The reason is optional, so an empty POST is a cancel without one.
      preValidation: async (request) => {
        request.body ??= {}
      }
    },
    async (request) => act(request, 'cancel', request.body.reason)
  )

  app.post(
    '/v1/images/:code/versions/:version/withdraw',
    {
      schema: {
        operationId: 'withdrawVersion',
        tags: ['versions'],
        summary: 'Withdraw a released version (released → withdrawn), with a reason',
        description: conflictNote,
        params: VersionParams,
        body: ref(WithdrawBody),
        response: {
          200: { ...ref(VersionSchema), description: 'Withdrawn' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      }
    },
    async (request) => act(request, 'withdraw', request.body.reason)
  )
}

export default versionActionsRoutes
