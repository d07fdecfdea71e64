import { conflict, notFound, type ProblemError } from '../http/problem.js'
import { allowedRolloutActions, ROLLOUT_TRANSITIONS, type RolloutAction } from './rollout-lifecycle.js'
import type { RolloutRow } from './rollouts.repository.js'

export const rolloutNotFound = (code: string, version: string): ProblemError =>
  notFound(
    'ROLLOUT_NOT_FOUND',
    `Version ${version} of image "${code}" has no rollout: it was released without a plan, or not released. Its status is at GET /v1/images/${code}/versions/${version}.`
  )

const extensionsOf = (row: RolloutRow) => ({ state: row.state, stage: row.stage, allowedActions: allowedRolloutActions(row.state) })

/** 409 for an action the rollout's state does not allow. */
export function rolloutStateConflict(row: RolloutRow, version: string, action: RolloutAction): ProblemError {
  const allowed = allowedRolloutActions(row.state)
  return conflict(
    'ROLLOUT_STATE_CONFLICT',
    `The rollout of ${version} is ${row.state} at stage ${row.stage}; "${action}" needs it to be ${ROLLOUT_TRANSITIONS[action].join(' or ')}. Allowed now: ${allowed.join(', ') || 'none (it has ended)'}.`,
    extensionsOf(row)
  )
}

/** 409 for an advance from a stage the rollout has already left (another operator, or the service, advanced it). */
export function stageMoved(row: RolloutRow, version: string, fromStage: number): ProblemError {
  return conflict(
    'ROLLOUT_STATE_CONFLICT',
    `The rollout of ${version} is at stage ${row.stage}, not ${fromStage}: it was advanced meanwhile. Look at it again (GET …/rollout) before advancing further.`,
    extensionsOf(row)
  )
}
