import { formatVersion, type VersionNumber } from '../versions/version-number.js'
import { allowedRolloutActions } from './rollout-lifecycle.js'
import { reachOf } from './rollout-reach.js'
import type { RolloutRow } from './rollouts.repository.js'
import type { Rollout } from './rollouts.schemas.js'

const iso = (d: Date | null): string | null => d?.toISOString() ?? null

/** Whom the version reaches now: nobody once the rollout was aborted (the version is withdrawn). */
function reachedNow(row: RolloutRow): Rollout['reached'] {
  if (row.state === 'aborted') return { projects: [], percent: 0 }
  const reach = reachOf(row.plan, row.stage)
  return { projects: [...reach.projects], percent: reach.percent }
}

/** A stored rollout as the API shows it. */
export function toRollout(row: RolloutRow, imageCode: string, version: VersionNumber): Rollout {
  return {
    imageCode,
    version: formatVersion(version),
    plan: row.plan,
    stage: row.stage,
    state: row.state,
    stageStartedAt: row.stageStartedAt.toISOString(),
    nextAdvanceAt: iso(row.nextAdvanceAt),
    reached: reachedNow(row),
    allowedActions: allowedRolloutActions(row.state),
    startedBy: row.startedBy,
    startedAt: row.startedAt.toISOString(),
    finishedAt: iso(row.finishedAt),
    updatedAt: row.updatedAt.toISOString()
  }
}
