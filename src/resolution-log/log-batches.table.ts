import type { ColumnType } from 'kysely'

/** A batch of a log already written (see the release-safety migration): its id makes a retry a no-op. */
export interface LogBatchesTable {
  id: string
  log: 'resolutions' | 'pull_secret_grants'
  writtenAt: ColumnType<Date, Date | undefined, never>
}
