import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { badRequest } from '../http/problem.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { imageForPublishing, imageForReading } from '../versions/version-access.js'
import { parseVersion, type VersionNumber } from '../versions/version-number.js'
import { ImageCodeParams, VersionParams } from '../versions/versions.schemas.js'
import { applyRolloutAction, findVersionRollout, type RolloutRequest } from './rollout-actions.service.js'
import { toRollout } from './rollout-view.js'
import { listRollouts } from './rollouts.repository.js'
import {
  AbortRolloutBody,
  AdvanceRolloutBody,
  ListRolloutsQuery,
  PauseRolloutBody,
  RolloutListSchema,
  RolloutSchema,
  type Rollout
} from './rollouts.schemas.js'

const numberOf = (text: string): VersionNumber => {
  const parsed = parseVersion(text)
  if (!parsed) throw badRequest('INVALID_VERSION', `"${text}" is not a version; use M.m.p such as 1.4.2.`)
  return parsed
}

export interface RolloutsRoutesOptions {
  onAdvanced: (automatic: boolean) => void
}

const rolloutsRoutes: FastifyPluginAsyncTypebox<RolloutsRoutesOptions> = async (app, { onAdvanced }) => {
  type ActionRequest = Pick<FastifyRequest, 'principal' | 'id' | 'log'> & { params: { code: string; version: string } }
  const act = async (request: ActionRequest, action: RolloutRequest): Promise<Rollout> => {
    const image = await imageForPublishing(app.db, request.principal, request.params.code)
    const number = numberOf(request.params.version)
    const ctx = { db: app.db, changes: app.changes, principal: request.principal, requestId: request.id, onAdvanced }
    const { rollout } = await applyRolloutAction(ctx, image, number, action)
    request.log.info(
      { image: image.code, version: request.params.version, action: action.action, state: rollout.state, stage: rollout.stage },
      'rollout changed'
    )
    return toRollout(rollout, image.code, number)
  }
  const writeNote =
    "Needs images:write and a token of the image's owner project. 404 VERSION_NOT_FOUND for no such version, ROLLOUT_NOT_FOUND when it was released without a plan (or not released); 409 ROLLOUT_STATE_CONFLICT when the state does not allow it, with `state`, `stage` and `allowedActions`."
  const writeResponses = (description: string) => ({
    200: { ...ref(RolloutSchema), description },
    ...problemResponses(...AUTH_PROBLEMS, 404, 409)
  })

  app.get(
    '/v1/images/:code/versions/:version/rollout',
    {
      schema: {
        operationId: 'getRollout',
        tags: ['rollouts'],
        summary: 'Get the staged rollout of a version: its plan, the stage reached, whom it reaches and what can be done',
        description:
          'Readable by whoever may read the version. 404 VERSION_NOT_FOUND for no such version, ROLLOUT_NOT_FOUND when it was released without a plan (or not released).',
        params: VersionParams,
        response: { 200: { ...ref(RolloutSchema), description: 'The rollout' }, ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => {
      const image = await imageForReading(app.db, request.principal, request.params.code)
      const number = numberOf(request.params.version)
      const { rollout } = await findVersionRollout(app.db, image, number)
      return toRollout(rollout, image.code, number)
    }
  )

  app.get(
    '/v1/images/:code/rollouts',
    {
      schema: {
        operationId: 'listRollouts',
        tags: ['rollouts'],
        summary: "List an image's staged rollouts, active ones first, then newest first",
        description: 'At most `limit` (default and maximum 100): an image has one rollout per version released with a plan.',
        params: ImageCodeParams,
        querystring: ListRolloutsQuery,
        response: { 200: ref(RolloutListSchema, "The image's rollouts"), ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => {
      const image = await imageForReading(app.db, request.principal, request.params.code)
      const rows = await listRollouts(app.db, image.id, request.query.limit)
      return { items: rows.map((row) => toRollout(row, image.code, row)) }
    }
  )

  app.post(
    '/v1/images/:code/versions/:version/rollout/advance',
    {
      schema: {
        operationId: 'advanceRollout',
        tags: ['rollouts'],
        summary: 'Reach the next stage now (after the last one: everyone, and the rollout is completed)',
        description: `The body ({fromStage}) is optional: send the stage you saw, and an advance that another operator (or the service) made meanwhile is a 409 instead of a skipped stage. A paused rollout advances by one stage and stays paused. Writes version.rollout_advanced, or version.rollout_completed for the last one. ${writeNote}`,
        params: VersionParams,
        body: ref(AdvanceRolloutBody),
        response: writeResponses('Advanced')
      },
      config: { optionalBody: true },
      preValidation: async (request) => {
        request.body ??= {}
      }
    },
    async (request) => act(request, { action: 'advance', fromStage: request.body.fromStage })
  )

  app.post(
    '/v1/images/:code/versions/:version/rollout/pause',
    {
      schema: {
        operationId: 'pauseRollout',
        tags: ['rollouts'],
        summary: 'Stop the automatic advance (rolling_out → paused); whom it reaches stays as it is',
        description: `The body ({reason}) is optional. Writes version.rollout_paused. ${writeNote}`,
        params: VersionParams,
        body: ref(PauseRolloutBody),
        response: writeResponses('Paused')
      },
      config: { optionalBody: true },
      preValidation: async (request) => {
        request.body ??= {}
      }
    },
    async (request) => act(request, { action: 'pause', reason: request.body.reason })
  )

  app.post(
    '/v1/images/:code/versions/:version/rollout/resume',
    {
      schema: {
        operationId: 'resumeRollout',
        tags: ['rollouts'],
        summary: 'Advance automatically again (paused → rolling_out); the current stage lasts advanceAfter from now',
        description: `No body. Writes version.rollout_resumed. ${writeNote}`,
        params: VersionParams,
        response: writeResponses('Rolling out again')
      }
    },
    async (request) => act(request, { action: 'resume' })
  )

  app.post(
    '/v1/images/:code/versions/:version/rollout/abort',
    {
      schema: {
        operationId: 'abortRollout',
        tags: ['rollouts'],
        summary: 'Take the version back from everyone at once: the rollout ends and the version is withdrawn (released → withdrawn)',
        description: `The reason is required; it becomes the version's withdrawal reason. Resolve answers the previous release again at once, on every replica. Writes version.rollout_aborted. ${writeNote}`,
        params: VersionParams,
        body: ref(AbortRolloutBody),
        response: writeResponses('Aborted: the version is withdrawn')
      }
    },
    async (request) => act(request, { action: 'abort', reason: request.body.reason })
  )
}

export default rolloutsRoutes
