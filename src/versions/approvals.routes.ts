import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { decideRelease, imageForApproving, type Decision } from './approvals.service.js'
import type { ReleaseRollouts } from './release-rollouts.js'
import { ApproveBody, RejectBody } from './release.schemas.js'
import { versionNumber } from './version-actions.routes.js'
import { viewVersion } from './version-view.service.js'
import { VersionParams, VersionSchema } from './versions.schemas.js'

const WHO = `Needs the images:approve scope (403 INSUFFICIENT_SCOPE) and a token acting for one of the image's approval.approverProjects that can see the image (404 otherwise, as for every version route). The token that submitted the version or asked for the release may not decide on it, admin or not (403 APPROVER_NOT_ALLOWED, with the reason). 409 VERSION_STATUS_CONFLICT unless the version is awaiting_approval. The image's approval policy as it is now applies (an edit made while the version waits applies at the next approval).`

const approvalsRoutes: FastifyPluginAsyncTypebox<{ rollouts: ReleaseRollouts }> = async (app, { rollouts }) => {
  type DecisionRequest = Pick<FastifyRequest, 'principal' | 'id' | 'log'> & { params: { code: string; version: string } }
  const decide = async (request: DecisionRequest, decision: Decision) => {
    const approver = await imageForApproving(app.db, request.principal, request.params.code)
    const ctx = { db: app.db, changes: app.changes, rollouts, principal: request.principal, requestId: request.id }
    const row = await decideRelease(ctx, approver, versionNumber(request.params.version), decision)
    request.log.info(
      { image: approver.image.code, version: request.params.version, action: decision.action, status: row.status },
      'release decided'
    )
    return viewVersion(app.db, approver.image, row)
  }

  app.post(
    '/v1/images/:code/versions/:version/approve',
    {
      schema: {
        operationId: 'approveVersion',
        tags: ['versions'],
        summary: 'Approve the pending release of a version; the last approval needed releases it',
        description: `The body ({comment}) is optional. Each token approves once (409 ALREADY_APPROVED). When the approvals reach approval.required the version is released at once (with the rollout asked for, if any) and the answer shows it released. ${WHO}`,
        params: VersionParams,
        body: ref(ApproveBody),
        response: {
          200: { ...ref(VersionSchema), description: 'Approved: still awaiting_approval, or released by this approval' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      },
      config: { optionalBody: true },
      // The comment is optional, so an empty POST is an approval without one.
      preValidation: async (request) => {
        request.body ??= {}
      }
    },
    async (request) => decide(request, { action: 'approve', comment: request.body.comment })
  )

  app.post(
    '/v1/images/:code/versions/:version/reject',
    {
      schema: {
        operationId: 'rejectVersion',
        tags: ['versions'],
        summary: 'Reject the pending release of a version, with a reason (awaiting_approval → testing)',
        description: `The version is testing again, with the reason as its statusReason; the approvals so far are dropped (the events keep them). Its soak time is not served again. ${WHO}`,
        params: VersionParams,
        body: ref(RejectBody),
        response: {
          200: { ...ref(VersionSchema), description: 'Rejected: the version is testing again' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      }
    },
    async (request) => decide(request, { action: 'reject', reason: request.body.reason })
  )
}

export default approvalsRoutes
