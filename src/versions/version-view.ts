import { allowedActions } from './version-lifecycle.js'
import { formatVersion } from './version-number.js'
import { imageReference, pinnedReference } from './image-reference.js'
import type { Version } from './versions.schemas.js'
import type { VersionRow } from './versions.table.js'

const iso = (d: Date | null): string | null => d?.toISOString() ?? null

/** A stored version as the API shows it. */
export function toVersion(row: VersionRow, imageCode: string): Version {
  return {
    imageCode,
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
