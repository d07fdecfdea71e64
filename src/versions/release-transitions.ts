// Releasing: at once, or after approvals. Each step is a compare-and-set on the locked version with
// its event in the caller's transaction; the approval that reaches the number required releases in
// that same transaction, so concurrent approvals (serialized on the version's lock) release once.
import type { ApprovalPolicy } from '../images/images.table.js'
import { markImageReleased } from '../images/images.repository.js'
import { countApprovals, deleteApprovals, insertApproval } from './approvals.repository.js'
import { approvalsSuffice } from './approval-rules.js'
import type { ReleaseRollouts } from './release-rollouts.js'
import type { RolloutPlan } from './rollout-plan.js'
import { changesResolutions, TRANSITIONS } from './version-lifecycle.js'
import { versionOf, type TransitionContext } from './version-transitions.js'
import { updateVersionIfStatus } from './versions.repository.js'
import type { VersionRow } from './versions.table.js'

type Image = { id: string; code: string }

/** The token deciding (a person's or a pipeline's), as the audit trail names it. */
interface Decider {
  name: string
  tokenId: string
}

const planColumn = (plan: RolloutPlan | null): string | null => (plan === null ? null : JSON.stringify(plan))

/**
 * → released, by `by`: at once from testing (asked by the same token), or from awaiting_approval
 * by the last approval needed. The rollout asked for starts in the same transaction.
 */
export async function releaseVersion(
  ctx: TransitionContext,
  rollouts: ReleaseRollouts,
  image: Image,
  current: VersionRow,
  by: Decider,
  plan: RolloutPlan | null
): Promise<VersionRow | undefined> {
  const now = new Date()
  const direct = current.status === 'testing'
  const transition = TRANSITIONS[direct ? 'release' : 'approve_release']
  const row = await updateVersionIfStatus(ctx.trx, current.id, transition.from, {
    status: transition.to,
    statusReason: null,
    releasedBy: by.name,
    releasedByTokenId: by.tokenId,
    releasedAt: now,
    // The plan now lives in the version's rollout.
    releasePlan: null,
    ...(direct ? { releaseRequestedBy: by.name, releaseRequestedByTokenId: by.tokenId, releaseRequestedAt: now } : {})
  })
  if (!row) return undefined
  await markImageReleased(ctx.trx, image.id, now)
  await ctx.record({
    image,
    action: 'version.released',
    actor: ctx.actor,
    version: versionOf(row),
    details: { from: current.status, to: row.status },
    requestId: ctx.requestId,
    changesResolutions: changesResolutions(current.status, row.status)
  })
  if (plan !== null) await rollouts.start(ctx, image, row, plan)
  return row
}

/** testing → awaiting_approval, keeping who asked and the plan asked for. undefined when no longer testing. */
export async function requestRelease(
  ctx: TransitionContext,
  image: Image,
  current: VersionRow,
  by: Decider,
  policy: ApprovalPolicy,
  plan: RolloutPlan | null
): Promise<VersionRow | undefined> {
  const transition = TRANSITIONS.request_release
  const row = await updateVersionIfStatus(ctx.trx, current.id, transition.from, {
    status: transition.to,
    statusReason: null,
    releaseRequestedBy: by.name,
    releaseRequestedByTokenId: by.tokenId,
    releaseRequestedAt: new Date(),
    releasePlan: planColumn(plan)
  })
  if (!row) return undefined
  await ctx.record({
    image,
    action: 'version.release_requested',
    actor: ctx.actor,
    version: versionOf(row),
    details: { from: current.status, to: row.status, required: policy.required, approverProjects: policy.approverProjects, rollout: plan },
    requestId: ctx.requestId,
    changesResolutions: changesResolutions(current.status, row.status)
  })
  return row
}

export interface Approval {
  by: Decider
  /** The approver projects the token acts for. */
  projects: string[]
  comment: string | undefined
}

/**
 * One approval of `current` (locked, awaiting_approval, not yet approved by this token); the one
 * that makes `policy.required` releases. Returns the version as it is after it.
 */
export async function approveRelease(
  ctx: TransitionContext,
  rollouts: ReleaseRollouts,
  image: Image,
  current: VersionRow,
  policy: ApprovalPolicy,
  approval: Approval
): Promise<VersionRow | undefined> {
  await insertApproval(ctx.trx, {
    versionId: current.id,
    tokenId: approval.by.tokenId,
    tokenName: approval.by.name,
    projects: approval.projects,
    comment: approval.comment ?? null
  })
  const approvals = await countApprovals(ctx.trx, current.id)
  await ctx.record({
    image,
    action: 'version.approved',
    actor: ctx.actor,
    version: versionOf(current),
    details: {
      projects: approval.projects,
      approvals,
      required: policy.required,
      ...(approval.comment !== undefined ? { comment: approval.comment } : {})
    },
    requestId: ctx.requestId,
    changesResolutions: false
  })
  if (!approvalsSuffice(approvals, policy)) return current
  return releaseVersion(ctx, rollouts, image, current, approval.by, current.releasePlan)
}

/** awaiting_approval → testing with the reason; the approvals so far go. undefined when no longer awaiting. */
export async function rejectRelease(
  ctx: TransitionContext,
  image: Image,
  current: VersionRow,
  reason: string
): Promise<VersionRow | undefined> {
  const transition = TRANSITIONS.reject_release
  // testing_since stays: the soak time was served already.
  const row = await updateVersionIfStatus(ctx.trx, current.id, transition.from, {
    status: transition.to,
    statusReason: reason,
    releaseRequestedBy: null,
    releaseRequestedByTokenId: null,
    releaseRequestedAt: null,
    releasePlan: null
  })
  if (!row) return undefined
  await deleteApprovals(ctx.trx, row.id)
  await ctx.record({
    image,
    action: 'version.rejected',
    actor: ctx.actor,
    version: versionOf(row),
    details: { from: current.status, to: row.status, reason },
    requestId: ctx.requestId,
    changesResolutions: changesResolutions(current.status, row.status)
  })
  return row
}
