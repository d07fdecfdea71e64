import type { ColumnType, Generated, Selectable } from 'kysely'

export interface CheckJobsTable {
  id: Generated<number>
  versionId: string
  attempts: Generated<number>
  runAt: ColumnType<Date, Date | undefined, Date>
  lockedUntil: Date | null
  lockedBy: string | null
  lastError: string | null
  createdAt: ColumnType<Date, never, never>
}

export type CheckJobRow = Selectable<CheckJobsTable>
