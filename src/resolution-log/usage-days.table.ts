import type { ColumnType } from 'kysely'

/** Resolutions per UTC day, image, version and project, summed once the day has closed (see usage-rollup.ts). */
export interface ResolutionUsageDaysTable {
  /** The day's UTC midnight. */
  day: ColumnType<Date, Date | string, never>
  imageId: string
  version: string
  project: string
  resolutions: number
  lastResolvedAt: ColumnType<Date, Date | string, never>
}

/** How far each summary of the log has been summed. */
export interface LogRollupsTable {
  name: 'resolution_usage_days'
  /** Every day before this (a UTC midnight) is summed. */
  rolledUntil: ColumnType<Date, Date | string, Date | string>
}
