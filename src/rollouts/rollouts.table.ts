import type { ColumnType } from 'kysely'
import type { RolloutPlan, RolloutState } from '../versions/rollout-plan.js'

export interface VersionRolloutsTable {
  versionId: string
  imageId: string
  plan: ColumnType<RolloutPlan, string, string>
  /** Index of the last stage reached; stages.length once it reached everyone. */
  stage: ColumnType<number, number | undefined, number>
  state: RolloutState
  stageStartedAt: Date
  /** When the service advances it by itself; null while paused, when done, or without advanceAfter. */
  nextAdvanceAt: Date | null
  startedBy: string
  startedAt: ColumnType<Date, Date | undefined, never>
  finishedAt: Date | null
  updatedAt: ColumnType<Date, Date | undefined, Date>
}
