// An approver's decision on a release awaiting approval. Checked in this order: the scope, that the
// token sees the image (404 otherwise, as for every version route), that it acts for an approver
// project; then, on the locked version: awaiting approval, not the token's own release, not approved
// by this token already. The version's lock serializes concurrent decisions: of two last approvals
// one releases and the other finds it released (409); approve racing reject, one wins.
import { requireScope, type Principal } from '../auth/scopes.js'
import type { ChangeNotifier } from '../changes/change-bus.js'
import type { Database } from '../db/database.js'
import { conflict, forbidden } from '../http/problem.js'
import type { ApprovalPolicy } from '../images/images.table.js'
import { visibleImage } from '../images/images.service.js'
import { findApprovalByToken } from './approvals.repository.js'
import { approverProjectsOf, ownReleaseRefusal, pendingPolicy } from './approval-rules.js'
import type { ReleaseRollouts } from './release-rollouts.js'
import { approveRelease, rejectRelease } from './release-transitions.js'
import type { VersionImage } from './version-access.js'
import { onLockedVersion } from './version-actions.service.js'
import type { ApproverAction } from './version-lifecycle.js'
import type { VersionNumber } from './version-number.js'
import { statusConflict } from './version-problems.js'
import type { VersionRow } from './versions.table.js'

export interface DecisionContext {
  db: Database
  changes: ChangeNotifier
  rollouts: ReleaseRollouts
  principal: Principal
  requestId: string
}

export type Decision = { action: 'approve'; comment: string | undefined } | { action: 'reject'; reason: string }

const notAllowed = (policy: ApprovalPolicy, reason: string) =>
  forbidden('APPROVER_NOT_ALLOWED', `This token may not decide on this release: ${reason}.`, {
    approverProjects: policy.approverProjects,
    reason
  })

/** The image, when the token may decide on its releases at all (scope, visibility, approver project). */
export async function imageForApproving(
  db: Database,
  p: Principal,
  code: string
): Promise<{ image: VersionImage; policy: ApprovalPolicy; projects: string[] }> {
  requireScope(p, 'images:approve')
  const image = await visibleImage(db, p, code)
  const policy = pendingPolicy(image)
  const projects = approverProjectsOf(p, policy)
  if (projects.length === 0) {
    const acts = p.projects === null ? 'every project' : p.projects.join(', ') || 'no project'
    throw notAllowed(
      policy,
      `token "${p.name}" acts for ${acts}, none of the image's approver projects (${policy.approverProjects.join(', ')})`
    )
  }
  return { image, policy, projects }
}

export async function decideRelease(
  ctx: DecisionContext,
  approver: { image: VersionImage; policy: ApprovalPolicy; projects: string[] },
  number: VersionNumber,
  decision: Decision
): Promise<VersionRow> {
  const { image, policy, projects } = approver
  const p = ctx.principal
  return onLockedVersion(ctx, image, number, async (trx, record, current) => {
    if (current.status !== 'awaiting_approval') throw statusConflict(current, decision.action satisfies ApproverAction)
    const own = ownReleaseRefusal(p, current)
    if (own !== null) throw notAllowed(policy, own)
    const transition = { trx, record, actor: p, requestId: ctx.requestId }
    if (decision.action === 'reject') {
      const row = await rejectRelease(transition, image, current, decision.reason)
      if (!row) throw statusConflict(current, 'reject')
      return row
    }
    const earlier = await findApprovalByToken(trx, current.id, p.tokenId)
    if (earlier) {
      throw conflict(
        'ALREADY_APPROVED',
        `Token "${p.name}" approved this release at ${earlier.approvedAt.toISOString()}; the next approval must come from another token.`,
        { approvedAt: earlier.approvedAt.toISOString() }
      )
    }
    const by = { name: p.name, tokenId: p.tokenId }
    const row = await approveRelease(transition, ctx.rollouts, image, current, policy, { by, projects, comment: decision.comment })
    if (!row) throw statusConflict(current, 'approve')
    return row
  })
}
