import type { ColumnType, Generated } from 'kysely'

/** One approval of a version's pending release, by one token (never two from the same token). */
export interface VersionApprovalsTable {
  id: Generated<string>
  versionId: string
  tokenId: string
  tokenName: string
  /** The image's approver projects the token approved for. */
  projects: string[]
  comment: string | null
  approvedAt: ColumnType<Date, Date | undefined, never>
}
