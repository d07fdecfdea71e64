import type { ColumnType, Generated, Selectable } from 'kysely'

/** A version's pullability check (deleted once it ends) and its recurring re-verification. */
export type JobKind = 'pullability' | 'verification'

export interface CheckJobsTable {
  id: Generated<number>
  versionId: string
  kind: ColumnType<JobKind, JobKind | undefined, never>
  attempts: Generated<number>
  runAt: ColumnType<Date, Date | undefined, Date>
  lockedUntil: Date | null
  lockedBy: string | null
  lastError: string | null
  createdAt: ColumnType<Date, never, never>
}

export type CheckJobRow = Selectable<CheckJobsTable>
