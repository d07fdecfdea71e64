import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { commitChanges } from '../changes/commit-changes.js'
import { badRequest, conflict } from '../http/problem.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { requestVerification } from '../checks/check-jobs.repository.js'
import { imageForPublishing } from '../versions/version-access.js'
import { versionNotFound } from '../versions/version-actions.service.js'
import { allowedActions } from '../versions/version-lifecycle.js'
import { formatVersion, parseVersion } from '../versions/version-number.js'
import { recordVerificationRequest, VERIFIED_STATUSES } from '../versions/verification-transitions.js'
import { findVersionByNumber } from '../versions/versions.repository.js'
import { VersionParams, VersionSchema } from '../versions/versions.schemas.js'
import type { VersionRow } from '../versions/versions.table.js'
import { toVersion } from '../versions/version-view.js'

function notVerifiable(version: VersionRow) {
  const v = formatVersion(version)
  return conflict(
    'VERSION_STATUS_CONFLICT',
    `Version ${v} is ${version.status}; only testing and released versions are verified against their registry. From ${version.status} the allowed actions are: ${allowedActions(version.status).join(', ') || 'none (final status)'}.`,
    { version: v, currentStatus: version.status, allowedActions: allowedActions(version.status) }
  )
}

/** POST .../verify: the version's re-verification is due now, on whichever replica takes it first. */
const verificationRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/images/:code/versions/:version/verify',
    {
      schema: {
        operationId: 'verifyVersion',
        tags: ['versions'],
        summary: 'Verify a testing, awaiting-approval or released version against its registry now (drift, vanished digest, signature)',
        description:
          "No body. Makes the version's re-verification due at once instead of at its next scheduled run: the registry is asked with HEAD requests only (the tag and the pinned digest, never a pull), within the registry's request budget. The answer comes before the verification runs; its findings appear on the version (`verification`, `signedBy`) and as events (version.drifted, version.drift_cleared, version.unavailable, version.available). A verification already under way is superseded. Writes version.verification_requested. 409 VERSION_STATUS_CONFLICT for a version that is not testing, awaiting approval or released.",
        params: VersionParams,
        response: {
          202: { ...ref(VersionSchema), description: 'Accepted: the version will be verified now' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      }
    },
    async (request, reply) => {
      const image = await imageForPublishing(app.db, request.principal, request.params.code)
      const number = parseVersion(request.params.version)
      if (!number) throw badRequest('INVALID_VERSION', `"${request.params.version}" is not a version; use M.m.p such as 1.4.2.`)
      const row = await commitChanges(app.db, app.changes, async (trx, record) => {
        const current = await findVersionByNumber(trx, image.id, number, { lock: true })
        if (!current) throw versionNotFound(image.code, formatVersion(number))
        if (!(VERIFIED_STATUSES as readonly string[]).includes(current.status) || current.digest === null) throw notVerifiable(current)
        await requestVerification(trx, current.id)
        await recordVerificationRequest({ trx, record, actor: request.principal, requestId: request.id }, image, current)
        return current
      })
      request.log.info({ image: image.code, version: formatVersion(row) }, 'verification requested')
      return reply.code(202).send(toVersion(row, image))
    }
  )
}

export default verificationRoutes
