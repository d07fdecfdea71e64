// The rollout state machine as data, as version-lifecycle.ts is for versions: pure, so the rules are
// tested on their own and the database only enforces them with a compare-and-set on the state.
import { durationMs } from '../config.js'
import type { RolloutPlan, RolloutState } from '../versions/rollout-plan.js'

export const ROLLOUT_ACTIONS = ['advance', 'pause', 'resume', 'abort'] as const
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number]

export const ROLLOUT_STATES = ['rolling_out', 'paused', 'completed', 'aborted'] as const satisfies readonly RolloutState[]

// Advancing a paused rollout moves it one stage and leaves it paused: the operator steps through
// by hand while the clock stays stopped, until resume.
export const ROLLOUT_TRANSITIONS: Readonly<Record<RolloutAction, readonly RolloutState[]>> = {
  advance: ['rolling_out', 'paused'],
  pause: ['rolling_out'],
  resume: ['paused'],
  abort: ['rolling_out', 'paused']
}

export const canApplyRollout = (state: RolloutState, action: RolloutAction): boolean => ROLLOUT_TRANSITIONS[action].includes(state)

/** The actions allowed in a state, in a stable order (shown in 409 problems and in the rollout). */
export const allowedRolloutActions = (state: RolloutState): RolloutAction[] => ROLLOUT_ACTIONS.filter((a) => canApplyRollout(state, a))

/** When the service advances a stage started at `from` by itself: null without advanceAfter or unless rolling out. */
export function nextAdvanceAt(plan: RolloutPlan, state: RolloutState, from: Date): Date | null {
  if (state !== 'rolling_out' || plan.advanceAfter === null) return null
  return new Date(from.getTime() + durationMs(plan.advanceAfter))
}

/** Where one advance from `stage` leads: the next stage, or everyone (completed) after the last one listed. */
export function advanceFrom(plan: RolloutPlan, stage: number, state: RolloutState): { stage: number; state: RolloutState } {
  const next = stage + 1
  return next >= plan.stages.length ? { stage: plan.stages.length, state: 'completed' } : { stage: next, state }
}
