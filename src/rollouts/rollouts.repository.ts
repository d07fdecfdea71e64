import { sql, type Transaction, type Updateable } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import type { RolloutPlan, RolloutState } from '../versions/rollout-plan.js'
import { ACTIVE_ROLLOUT_STATES } from '../versions/rollout-plan.js'
import type { VersionRolloutsTable } from './rollouts.table.js'
import type { Selectable } from 'kysely'

export type RolloutRow = Selectable<VersionRolloutsTable>

export interface NewRollout {
  versionId: string
  imageId: string
  plan: RolloutPlan
  state: RolloutState
  stageStartedAt: Date
  nextAdvanceAt: Date | null
  startedBy: string
}

export async function insertRollout(db: Db, rollout: NewRollout): Promise<RolloutRow> {
  return db
    .insertInto('versionRollouts')
    .values({ ...rollout, plan: JSON.stringify(rollout.plan), stage: 0, startedAt: rollout.stageStartedAt })
    .returningAll()
    .executeTakeFirstOrThrow()
}

/** The version's rollout, locked: lock the version row first (every writer does, so they never deadlock). */
export async function lockRollout(trx: Transaction<DB>, versionId: string): Promise<RolloutRow | undefined> {
  return trx.selectFrom('versionRollouts').selectAll().where('versionId', '=', versionId).forUpdate().executeTakeFirst()
}

export async function findRollout(db: Db, versionId: string): Promise<RolloutRow | undefined> {
  return db.selectFrom('versionRollouts').selectAll().where('versionId', '=', versionId).executeTakeFirst()
}

type RolloutUpdate = Omit<Updateable<VersionRolloutsTable>, 'versionId' | 'imageId' | 'plan' | 'updatedAt'>

/**
 * Compare-and-set: changes the rollout only if it is still in one of `from` at `stage` (when given);
 * undefined otherwise.
 */
export async function updateRolloutIf(
  db: Db,
  versionId: string,
  expected: { states: readonly RolloutState[]; stage?: number },
  values: RolloutUpdate
): Promise<RolloutRow | undefined> {
  let query = db
    .updateTable('versionRollouts')
    .set({ ...values, updatedAt: new Date() })
    .where('versionId', '=', versionId)
    .where('state', 'in', expected.states)
  if (expected.stage !== undefined) query = query.where('stage', '=', expected.stage)
  return query.returningAll().executeTakeFirst()
}

/** Ends an active rollout without an event of its own (the version is being withdrawn); false when none was active. */
export async function abortActiveRollout(db: Db, versionId: string, at: Date): Promise<boolean> {
  const result = await db
    .updateTable('versionRollouts')
    .set({ state: 'aborted', nextAdvanceAt: null, finishedAt: at, updatedAt: at })
    .where('versionId', '=', versionId)
    .where('state', 'in', ACTIVE_ROLLOUT_STATES)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export interface RolloutWithVersion extends RolloutRow {
  major: number
  minor: number
  patch: number
}

/** The image's rollouts: active ones first, then newest first. */
export async function listRollouts(db: Db, imageId: string, limit: number): Promise<RolloutWithVersion[]> {
  return db
    .selectFrom('versionRollouts as r')
    .innerJoin('imageVersions as v', 'v.id', 'r.versionId')
    .selectAll('r')
    .select(['v.major', 'v.minor', 'v.patch'])
    .where('r.imageId', '=', imageId)
    .orderBy(sql`r.state in ('rolling_out', 'paused')`, 'desc')
    .orderBy('r.startedAt', 'desc')
    .orderBy('r.versionId')
    .limit(limit)
    .execute()
}

/**
 * The version of one rollout whose stage has lasted its time, with the version row locked; rollouts
 * whose version another transaction holds (an operator's action, another replica) are skipped.
 * Versions are locked before rollouts everywhere, so this takes the version row.
 */
export async function lockDueRolloutVersion(
  trx: Transaction<DB>,
  skip: readonly string[]
): Promise<{ versionId: string; imageId: string } | undefined> {
  let query = trx
    .selectFrom('versionRollouts as r')
    .innerJoin('imageVersions as v', 'v.id', 'r.versionId')
    .select(['r.versionId', 'r.imageId'])
    .where('r.state', '=', 'rolling_out')
    .where('r.nextAdvanceAt', '<=', sql<Date>`now()`)
    .orderBy('r.nextAdvanceAt')
    .limit(1)
    .forUpdate('v')
    .skipLocked()
  if (skip.length > 0) query = query.where('r.versionId', 'not in', skip)
  return query.executeTakeFirst()
}
