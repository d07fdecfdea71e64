import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { Platform } from '../registry/index.js'
import type { RolloutPlan } from './rollout-plan.js'

export type VersionStatus = 'checking' | 'check_failed' | 'testing' | 'awaiting_approval' | 'released' | 'cancelled' | 'withdrawn'
export type ReleaseType = 'major' | 'minor' | 'patch'

export type { Platform } from '../registry/index.js'

export interface ImageVersionsTable {
  id: Generated<string>
  imageId: string
  major: number
  minor: number
  patch: number
  releaseType: ReleaseType | null
  status: VersionStatus
  statusReason: string | null
  checkClass: string | null
  registry: string
  repository: string
  tag: string
  credentialId: string | null
  dockerfile: string | null
  releaseNotes: string | null
  digest: string | null
  mediaType: string | null
  platforms: ColumnType<Platform[] | null, string | null, string | null>
  size: number | null
  checkedAt: Date | null
  submittedBy: string
  submittedAt: ColumnType<Date, Date | undefined, never>
  releasedBy: string | null
  releasedAt: Date | null
  cancelledBy: string | null
  cancelledAt: Date | null
  withdrawnBy: string | null
  withdrawnAt: Date | null
  withdrawReason: string | null
  /** Last time a re-verification reached the registry and found the pinned digest there. */
  verifiedAt: Date | null
  /** Why the last verification could not finish (transient); null once one finishes. */
  verificationError: string | null
  /** While the tag points elsewhere (drift): its current digest, null when the tag is gone. */
  upstreamDigest: string | null
  /** Set while drifted: when the tag was first seen pointing away. */
  upstreamSeenAt: Date | null
  /** Verifications in a row that found the pinned digest gone. */
  missingCount: Generated<number>
  /** Set while unavailable (pinned digest gone, or no longer validly signed). */
  unavailableSince: Date | null
  unavailableReason: string | null
  /** The name and fingerprint of the image's key that signed the pinned digest, when signatures are required. */
  signedBy: string | null
  signedByFingerprint: string | null
  /** The token that submitted it (null for versions submitted before tokens were recorded by id). */
  submittedByTokenId: string | null
  /** When it last entered testing: the image's minimum testing time counts from here. */
  testingSince: Date | null
  /** Who asked for the release (kept while approvals are awaited, and after). */
  releaseRequestedBy: string | null
  releaseRequestedByTokenId: string | null
  releaseRequestedAt: Date | null
  /** The rollout plan asked for with the release, kept until the release takes effect. */
  releasePlan: ColumnType<RolloutPlan | null, string | null, string | null>
  releasedByTokenId: string | null
  updatedAt: ColumnType<Date, Date | undefined, Date>
}

export type VersionRow = Selectable<ImageVersionsTable>
export type NewVersion = Insertable<ImageVersionsTable>
export type VersionUpdate = Updateable<ImageVersionsTable>
