import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'
import type { Platform } from '../registry/index.js'

export type VersionStatus = 'checking' | 'check_failed' | 'testing' | 'released' | 'cancelled' | 'withdrawn'
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
  updatedAt: ColumnType<Date, Date | undefined, Date>
}

export type VersionRow = Selectable<ImageVersionsTable>
export type NewVersion = Insertable<ImageVersionsTable>
export type VersionUpdate = Updateable<ImageVersionsTable>
