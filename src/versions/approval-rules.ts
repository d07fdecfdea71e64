// Who may approve or reject a release that awaits approval. Tokens are identities here: the token
// that submitted the version or asked for its release never decides on it, admin or not.
import { canActFor, type Principal } from '../auth/scopes.js'
import type { ApprovalPolicy } from '../images/images.table.js'

interface PolicyImage {
  ownerProject: string
  approval: ApprovalPolicy | null
}

/**
 * The policy a decision on a pending release applies: the image's as it is now (an edit applies at
 * the next approval). Once the image no longer requires approvals, a release still pending needs one
 * approval by another token of the owner project (or a recheck or cancel) to end its wait.
 */
export const pendingPolicy = (image: PolicyImage): ApprovalPolicy =>
  image.approval ?? { required: 1, approverProjects: [image.ownerProject] }

/** The approver projects the token acts for ([] = it is no approver). */
export const approverProjectsOf = (p: Principal, policy: ApprovalPolicy): string[] =>
  policy.approverProjects.filter((project) => canActFor(p, project))

interface PendingRelease {
  submittedByTokenId: string | null
  releaseRequestedByTokenId: string | null
}

/** Why this token may not decide on this version's release, or null when it may (its projects checked apart). */
export function ownReleaseRefusal(p: Principal, version: PendingRelease): string | null {
  if (version.submittedByTokenId === p.tokenId) return `token "${p.name}" submitted this version; another token must decide on its release`
  if (version.releaseRequestedByTokenId === p.tokenId) return `token "${p.name}" asked for this release; another token must decide on it`
  return null
}

/** Whether `approvals` (this one included) are enough to release. */
export const approvalsSuffice = (approvals: number, policy: ApprovalPolicy): boolean => approvals >= policy.required
