import type { ImageAccess } from '../images/image-access.js'
import { RESOLVABLE_STATUSES } from '../versions/version-lifecycle.js'
import type { Platform } from '../versions/versions.table.js'
import { newestFirst } from './version-spec.js'

// What resolve needs to know about one image, as cached per image: its access fields and the
// versions resolve can meet (released, testing, withdrawn), newest first. Everything computed
// from a snapshot is pure, so a cached snapshot answers exactly as the database would.

export type SnapshotStatus = (typeof RESOLVABLE_STATUSES)[number]
export const SNAPSHOT_STATUSES: readonly SnapshotStatus[] = RESOLVABLE_STATUSES

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
}

export interface ImageSnapshot extends ImageAccess {
  id: string
  code: string
  credential: CredentialRef | null
  versions: SnapshotVersion[]
}

/** One row of the image ⟕ versions join (version columns are null when the image has none). */
export interface SnapshotRow extends ImageAccess {
  id: string
  code: string
  imageCredentialId: string | null
  imageCredentialProject: string | null
  imageCredentialRegistries: string[] | null
  major: number | null
  minor: number | null
  patch: number | null
  status: string | null
  registry: string | null
  repository: string | null
  tag: string | null
  digest: string | null
  platforms: Platform[] | null
  versionCredentialId: string | null
  versionCredentialProject: string | null
  versionCredentialRegistries: string[] | null
  withdrawReason: string | null
}

const credentialRef = (id: string | null, project: string | null, registries: string[] | null): CredentialRef | null =>
  id && project ? { id, project, registries: registries ?? [] } : null

export function toSnapshot(rows: readonly SnapshotRow[]): ImageSnapshot | undefined {
  const first = rows[0]
  if (!first) return undefined
  const versions: SnapshotVersion[] = []
  for (const r of rows) {
    if (r.major === null || r.minor === null || r.patch === null || !SNAPSHOT_STATUSES.includes(r.status as SnapshotStatus)) continue
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
      withdrawReason: r.withdrawReason
    })
  }
  return {
    id: first.id,
    code: first.code,
    ownerProject: first.ownerProject,
    debugProject: first.debugProject,
    visibilityPublic: first.visibilityPublic,
    visibilityProjects: first.visibilityProjects,
    credential: credentialRef(first.imageCredentialId, first.imageCredentialProject, first.imageCredentialRegistries),
    versions: versions.sort(newestFirst)
  }
}
