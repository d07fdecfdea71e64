import type { Selectable } from 'kysely'
import type { Db } from '../db/schema.js'
import type { VersionApprovalsTable } from './approvals.table.js'

export type ApprovalRow = Selectable<VersionApprovalsTable>

export async function insertApproval(
  db: Db,
  approval: { versionId: string; tokenId: string; tokenName: string; projects: string[]; comment: string | null }
): Promise<ApprovalRow> {
  return db.insertInto('versionApprovals').values(approval).returningAll().executeTakeFirstOrThrow()
}

export async function findApprovalByToken(db: Db, versionId: string, tokenId: string): Promise<ApprovalRow | undefined> {
  return db.selectFrom('versionApprovals').selectAll().where('versionId', '=', versionId).where('tokenId', '=', tokenId).executeTakeFirst()
}

export async function countApprovals(db: Db, versionId: string): Promise<number> {
  const row = await db
    .selectFrom('versionApprovals')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('versionId', '=', versionId)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** The release request ended (rejected, rechecked, cancelled): its approvals go; the events keep them. */
export async function deleteApprovals(db: Db, versionId: string): Promise<void> {
  await db.deleteFrom('versionApprovals').where('versionId', '=', versionId).execute()
}

/** The approvals of several versions in one query, oldest first, by version id. */
export async function approvalsOf(db: Db, versionIds: readonly string[]): Promise<Map<string, ApprovalRow[]>> {
  const byVersion = new Map<string, ApprovalRow[]>()
  if (versionIds.length === 0) return byVersion
  const rows = await db
    .selectFrom('versionApprovals')
    .selectAll()
    .where('versionId', 'in', versionIds)
    .orderBy('approvedAt')
    .orderBy('id')
    .execute()
  for (const row of rows) byVersion.set(row.versionId, [...(byVersion.get(row.versionId) ?? []), row])
  return byVersion
}
