// Versions as the API shows them, with the approvals of those awaiting approval: one query for a
// whole page, and none at all when no version on it awaits approval.
import type { Db } from '../db/schema.js'
import { approvalsOf, type ApprovalRow } from './approvals.repository.js'
import { toVersion, type ViewImage } from './version-view.js'
import type { Version } from './versions.schemas.js'
import type { VersionRow } from './versions.table.js'

/** The approvals of the rows awaiting approval, by version id. */
export async function pendingApprovals(db: Db, rows: readonly VersionRow[]): Promise<Map<string, ApprovalRow[]>> {
  return approvalsOf(
    db,
    rows.filter((r) => r.status === 'awaiting_approval').map((r) => r.id)
  )
}

export async function viewVersion(db: Db, image: ViewImage, row: VersionRow): Promise<Version> {
  const approvals = await pendingApprovals(db, [row])
  return toVersion(row, image, approvals.get(row.id))
}
