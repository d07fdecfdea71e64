import type { ApprovalPolicy } from '../images/images.table.js'
import type { ApprovalRow } from './approvals.repository.js'
import { pendingPolicy } from './approval-rules.js'
import { allowedActions } from './version-lifecycle.js'
import { formatVersion } from './version-number.js'
import { imageReference, pinnedReference } from './image-reference.js'
import type { VersionApproval } from './release.schemas.js'
import { releasableAt } from './soak-time.js'
import type { Version } from './versions.schemas.js'
import type { VersionRow } from './versions.table.js'

const iso = (d: Date | null): string | null => d?.toISOString() ?? null

/** What the view needs of the version's image: its release rules. */
export interface ViewImage {
  code: string
  ownerProject: string
  approval: ApprovalPolicy | null
  minTestingTime: string | null
}

function approvalView(row: VersionRow, image: ViewImage, approvals: readonly ApprovalRow[]): VersionApproval | null {
  // A release still awaiting approval shows the policy its next approval applies, even if the image dropped it.
  const policy = row.status === 'awaiting_approval' ? pendingPolicy(image) : image.approval
  if (policy === null) return null
  return {
    required: policy.required,
    approverProjects: policy.approverProjects,
    approvals:
      row.status === 'awaiting_approval'
        ? approvals.map((a) => ({
            tokenName: a.tokenName,
            projects: a.projects,
            approvedAt: a.approvedAt.toISOString(),
            comment: a.comment
          }))
        : []
  }
}

/**
 * A stored version as the API shows it, with its image's release rules. `approvals`: the version's
 * (read only for versions awaiting approval).
 */
export function toVersion(row: VersionRow, image: ViewImage, approvals: readonly ApprovalRow[] = []): Version {
  return {
    imageCode: image.code,
    version: formatVersion(row),
    major: row.major,
    minor: row.minor,
    patch: row.patch,
    releaseType: row.releaseType,
    status: row.status,
    statusReason: row.statusReason,
    checkClass: row.checkClass as Version['checkClass'],
    allowedActions: allowedActions(row.status),
    registry: row.registry,
    repository: row.repository,
    tag: row.tag,
    reference: imageReference(row),
    digest: row.digest,
    pinnedReference: pinnedReference(row),
    platforms: row.platforms,
    mediaType: row.mediaType,
    size: row.size === null ? null : Number(row.size),
    checkedAt: iso(row.checkedAt),
    credentialId: row.credentialId,
    dockerfile: row.dockerfile,
    releaseNotes: row.releaseNotes,
    submittedBy: row.submittedBy,
    submittedAt: row.submittedAt.toISOString(),
    releasedBy: row.releasedBy,
    releasedAt: iso(row.releasedAt),
    cancelledBy: row.cancelledBy,
    cancelledAt: iso(row.cancelledAt),
    withdrawnBy: row.withdrawnBy,
    withdrawnAt: iso(row.withdrawnAt),
    withdrawReason: row.withdrawReason,
    signedBy: row.signedBy === null ? null : { key: row.signedBy, fingerprint: row.signedByFingerprint ?? '' },
    testingSince: iso(row.testingSince),
    releasableAt: row.status === 'testing' ? iso(releasableAt(row.testingSince, image.minTestingTime)) : null,
    releaseRequest:
      row.releaseRequestedBy === null || row.releaseRequestedAt === null
        ? null
        : { by: row.releaseRequestedBy, at: row.releaseRequestedAt.toISOString(), rollout: row.releasePlan },
    approval: approvalView(row, image, approvals),
    verification: {
      lastVerifiedAt: iso(row.verifiedAt),
      lastError: row.verificationError,
      // upstream_seen_at marks drift: upstream_digest is null both outside drift and when the tag is gone.
      drift: row.upstreamSeenAt === null ? null : { upstreamDigest: row.upstreamDigest, firstSeenAt: row.upstreamSeenAt.toISOString() },
      available: row.unavailableSince === null,
      unavailableSince: iso(row.unavailableSince),
      unavailableReason: row.unavailableSince === null ? null : (row.unavailableReason ?? 'no reason was recorded')
    },
    updatedAt: row.updatedAt.toISOString()
  }
}

export const versionPath = (imageCode: string, row: VersionRow): string =>
  `/v1/images/${encodeURIComponent(imageCode)}/versions/${formatVersion(row)}`
