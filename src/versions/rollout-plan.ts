// A staged rollout plan as a release asks for it and as it is stored: the stages in order, each
// listing projects or a percentage of the image's consumers, and how long each stage lasts before the
// service advances it by itself (null: only by hand). Reached stages add up; after the last listed
// stage comes "everyone", and the version is plainly released.

export type RolloutStage = { projects: string[] } | { percent: number }

export interface RolloutPlan {
  stages: RolloutStage[]
  /** Duration text such as '24h' (see config.durationMs); null = advanced only by hand. */
  advanceAfter: string | null
}

export type RolloutState = 'rolling_out' | 'paused' | 'completed' | 'aborted'

/** States in which the version reaches only the stages reached so far. */
export const ACTIVE_ROLLOUT_STATES = ['rolling_out', 'paused'] as const satisfies readonly RolloutState[]

export const isActiveRollout = (state: RolloutState): boolean => (ACTIVE_ROLLOUT_STATES as readonly RolloutState[]).includes(state)
