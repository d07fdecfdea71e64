import type { ReleaseRollouts } from '../versions/release-rollouts.js'
import { validatePlan } from './plan-rules.js'
import { endOnWithdraw, startRollout } from './rollout-transitions.js'

/** What versions/ asks of rollouts when a version is released or withdrawn (src/app.ts hands it over). */
export const releaseRollouts: ReleaseRollouts = {
  start: async (ctx, image, version, plan) => {
    await startRollout(ctx, image, version, plan)
  },
  endOnWithdraw,
  validate: validatePlan
}
