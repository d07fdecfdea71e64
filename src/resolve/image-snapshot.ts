import type { ImageAccess } from '../images/image-access.js'
import { reachOf, type RolloutReach } from '../rollouts/rollout-reach.js'
import type { ACTIVE_ROLLOUT_STATES } from '../versions/rollout-plan.js'
import { RESOLVABLE_STATUSES } from '../versions/version-lifecycle.js'
import { compareVersions } from '../versions/version-number.js'
import type { ResolvableVersionRow } from './snapshot.repository.js'
import type { Platform } from '../versions/versions.table.js'

// What resolve needs to know about one image, as cached per image: its access fields and the
// versions resolve can meet (released, testing, awaiting_approval, withdrawn) with what verification
// found of them and who their rollout reaches, newest first. Everything computed from a snapshot is pure, so a cached snapshot answers exactly
// as the database would.

export type SnapshotStatus = (typeof RESOLVABLE_STATUSES)[number]
const SNAPSHOT_STATUSES: readonly string[] = RESOLVABLE_STATUSES

export interface CredentialRef {
  id: string
  project: string
  /** The hosts it is bound to: a version elsewhere is pulled without it. */
  registries: string[]
}

export interface SnapshotVersion {
  major: number
  minor: number
  patch: number
  status: SnapshotStatus
  registry: string
  repository: string
  tag: string
  digest: string | null
  platforms: Platform[]
  /** The version's own credential; null = the image's. */
  credential: CredentialRef | null
  withdrawReason: string | null
  /** Set while the tag points away from the pinned digest; one frozen object shared by every answer. */
  drift: Readonly<SnapshotDrift> | null
  /** Set while the pinned digest cannot be pulled (gone, or no longer validly signed). */
  unavailable: Readonly<SnapshotUnavailability> | null
  /** Set while the version rolls out (or the rollout is paused); one frozen object, its reach computed once. */
  rollout: Readonly<SnapshotRollout> | null
}

/** An active rollout as resolve needs it; completed and aborted ones limit nothing and are not kept. */
export interface SnapshotRollout {
  state: (typeof ACTIVE_ROLLOUT_STATES)[number]
  /** Index of the last stage reached (0 = the first). */
  stage: number
  /** How many stages the plan lists; after the last one comes everyone. */
  stages: number
  reach: RolloutReach
}

/** As resolve answers it: the tag's current digest (null = the tag is gone) and since when. */
export interface SnapshotDrift {
  upstreamDigest: string | null
  firstSeenAt: string
}

export interface SnapshotUnavailability {
  since: string
  reason: string
}

export interface ImageSnapshot extends ImageAccess {
  id: string
  code: string
  credential: CredentialRef | null
  versions: SnapshotVersion[]
  /**
   * The versions with an active rollout, newest first: empty for almost every image, and only when
   * it is not does the asking project (beyond being the debug project) change an answer.
   */
  rollingOut: readonly SnapshotVersion[]
}

// upstream_seen_at is what marks drift: upstream_digest is null both when not drifted and when the tag is gone.
const driftOf = (r: ResolvableVersionRow): Readonly<SnapshotDrift> | null =>
  r.upstreamSeenAt ? Object.freeze({ upstreamDigest: r.upstreamDigest, firstSeenAt: r.upstreamSeenAt.toISOString() }) : null

const unavailabilityOf = (r: ResolvableVersionRow): Readonly<SnapshotUnavailability> | null =>
  r.unavailableSince
    ? Object.freeze({ since: r.unavailableSince.toISOString(), reason: r.unavailableReason ?? 'no reason was recorded' })
    : null

const rolloutOf = (r: ResolvableVersionRow): Readonly<SnapshotRollout> | null =>
  r.rolloutPlan && r.rolloutStage !== null && (r.rolloutState === 'rolling_out' || r.rolloutState === 'paused')
    ? Object.freeze({
        state: r.rolloutState,
        stage: r.rolloutStage,
        stages: r.rolloutPlan.stages.length,
        reach: Object.freeze(reachOf(r.rolloutPlan, r.rolloutStage))
      })
    : null

const credentialRef = (id: string | null, project: string | null, registries: string[] | null): CredentialRef | null =>
  id && project ? { id, project, registries: registries ?? [] } : null

/** The snapshot of versions' image ⟕ resolvable versions join; undefined when no image has the code. */
export function toSnapshot(rows: readonly ResolvableVersionRow[]): ImageSnapshot | undefined {
  const first = rows[0]
  if (!first) return undefined
  const versions: SnapshotVersion[] = []
  for (const r of rows) {
    if (r.major === null || r.minor === null || r.patch === null || r.status === null || !SNAPSHOT_STATUSES.includes(r.status)) continue
    versions.push({
      major: r.major,
      minor: r.minor,
      patch: r.patch,
      status: r.status as SnapshotStatus,
      registry: r.registry ?? '',
      repository: r.repository ?? '',
      tag: r.tag ?? '',
      digest: r.digest,
      platforms: r.platforms ?? [],
      credential: credentialRef(r.versionCredentialId, r.versionCredentialProject, r.versionCredentialRegistries),
      withdrawReason: r.withdrawReason,
      drift: driftOf(r),
      unavailable: unavailabilityOf(r),
      rollout: rolloutOf(r)
    })
  }
  versions.sort((a, b) => compareVersions(b, a))
  return {
    id: first.id,
    code: first.code,
    ownerProject: first.ownerProject,
    debugProject: first.debugProject,
    visibilityPublic: first.visibilityPublic,
    visibilityProjects: first.visibilityProjects,
    credential: credentialRef(first.imageCredentialId, first.imageCredentialProject, first.imageCredentialRegistries),
    versions,
    rollingOut: versions.filter((v) => v.rollout !== null)
  }
}
