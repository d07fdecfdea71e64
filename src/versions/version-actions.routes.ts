import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { badRequest } from '../http/problem.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { imageForPublishing } from './version-access.js'
import { applyVersionAction, releaseVersionAction, type ActionContext } from './version-actions.service.js'
import { parseVersion, type VersionNumber } from './version-number.js'
import { ReleaseBody } from './release.schemas.js'
import type { ReleaseRollouts } from './release-rollouts.js'
import { CancelBody, VersionParams, VersionSchema, WithdrawBody } from './versions.schemas.js'
import { viewVersion } from './version-view.service.js'
import type { StatusAction } from './version-transitions.js'
import type { CheckQueue } from './check-queue.js'
import type { VersionImage } from './version-access.js'
import type { VersionRow } from './versions.table.js'

export const versionNumber = (text: string): VersionNumber => {
  const parsed = parseVersion(text)
  if (!parsed) throw badRequest('INVALID_VERSION', `"${text}" is not a version; use M.m.p such as 1.4.2.`)
  return parsed
}

const versionActionsRoutes: FastifyPluginAsyncTypebox<{ queue: CheckQueue; rollouts: ReleaseRollouts }> = async (
  app,
  { queue, rollouts }
) => {
  type ActionRequest = Pick<FastifyRequest, 'principal' | 'id' | 'log'> & { params: { code: string; version: string } }
  const act = async (
    request: ActionRequest,
    action: StatusAction | 'release',
    run: (ctx: ActionContext, image: VersionImage, n: VersionNumber) => Promise<VersionRow>
  ) => {
    const image = await imageForPublishing(app.db, request.principal, request.params.code)
    const ctx = { db: app.db, principal: request.principal, requestId: request.id, changes: app.changes, queue, rollouts }
    const row = await run(ctx, image, versionNumber(request.params.version))
    request.log.info({ image: image.code, version: request.params.version, action, status: row.status }, 'version status changed')
    return viewVersion(app.db, image, row)
  }
  const publisherAction = (request: ActionRequest, action: StatusAction, reason?: string) =>
    act(request, action, (ctx, image, n) => applyVersionAction(ctx, image, n, action, reason))
  const conflictNote = '409 when the current status does not allow it: the problem has `currentStatus` and `allowedActions`.'

  app.post(
    '/v1/images/:code/versions/:version/recheck',
    {
      schema: {
        operationId: 'recheckVersion',
        tags: ['versions'],
        summary: 'Check the version again after the image was pushed again (from check_failed, testing or awaiting_approval → checking)',
        description: `No body. The new digest is recorded when the check passes. ${conflictNote}`,
        params: VersionParams,
        response: {
          202: { ...ref(VersionSchema), description: 'Accepted: the version is checking again' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      }
    },
    async (request, reply) => reply.code(202).send(await publisherAction(request, 'recheck'))
  )

  app.post(
    '/v1/images/:code/versions/:version/release',
    {
      schema: {
        operationId: 'releaseVersion',
        tags: ['versions'],
        summary: 'Release a tested version (testing → released, or → awaiting_approval when the image requires approvals)',
        description: `The body is optional: no body (or {}) releases to everyone at once; {"rollout": {...}} rolls the release out in stages (400 INVALID_ROLLOUT_PLAN when the plan cannot be carried out). When the image sets minTestingTime, a release before the version has been testing that long is 409 SOAK_TIME_NOT_MET with releasableAt. When the image requires approvals the answer is 202 and the version awaits them (awaiting_approval; the plan is kept and starts with the release); tokens of the approver projects approve or reject it. ${conflictNote}`,
        params: VersionParams,
        body: ref(ReleaseBody),
        response: {
          200: { ...ref(VersionSchema), description: 'Released (with its rollout started when a plan was given)' },
          202: { ...ref(VersionSchema), description: 'Accepted: the image requires approvals; the version is awaiting_approval' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      },
      config: { optionalBody: true },
      // A release without a plan needs no body, as before plans existed.
      preValidation: async (request) => {
        request.body ??= {}
      }
    },
    async (request, reply) => {
      const { rollout } = request.body
      const plan = rollout ? { stages: rollout.stages, advanceAfter: rollout.advanceAfter ?? null } : null
      const version = await act(request, 'release', (ctx, image, n) => releaseVersionAction(ctx, image, n, plan))
      return reply.code(version.status === 'awaiting_approval' ? 202 : 200).send(version)
    }
  )

  app.post(
    '/v1/images/:code/versions/:version/cancel',
    {
      schema: {
        operationId: 'cancelVersion',
        tags: ['versions'],
        summary:
          'Cancel a version in progress (checking, check_failed, testing or awaiting_approval → cancelled); its number is free again',
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
    async (request) => publisherAction(request, 'cancel', request.body.reason)
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
    async (request) => publisherAction(request, 'withdraw', request.body.reason)
  )
}

export default versionActionsRoutes
