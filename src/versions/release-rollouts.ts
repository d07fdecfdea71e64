// What versions need of staged rollouts, declared here because versions/ must not import rollouts/
// (rollouts/ builds on versions/). rollouts/ implements it and src/app.ts hands it to versionsFeature.
import type { Transaction } from 'kysely'
import type { DB } from '../db/schema.js'
import type { RolloutPlan } from './rollout-plan.js'
import type { TransitionContext } from './version-transitions.js'
import type { VersionRow } from './versions.table.js'

export interface ReleaseRollouts {
  /** Starts the rollout of a version that has just become released, in the caller's transaction. */
  start(ctx: TransitionContext, image: { id: string; code: string }, version: VersionRow, plan: RolloutPlan): Promise<void>
  /** Ends the rollout of a version being withdrawn (state aborted), in the caller's transaction; no event of its own. */
  endOnWithdraw(trx: Transaction<DB>, versionId: string): Promise<void>
  /** Rejects a plan that cannot be carried out: throws 400 INVALID_ROLLOUT_PLAN. */
  validate(plan: RolloutPlan, image: { debugProject: string }): void
}
