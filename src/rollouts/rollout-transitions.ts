// Every change of a rollout, and only those: each is a compare-and-set on the rollout row (locked by
// the caller after the version row, in that order everywhere) and records its event in the same
// transaction (the caller's, opened with commitChanges). Each changes whom the version reaches, so
// each drops every replica's resolve cache (changesResolutions).
import type { Transaction } from 'kysely'
import type { DB } from '../db/schema.js'
import type { RolloutPlan } from '../versions/rollout-plan.js'
import { withdrawForAbortedRollout } from '../versions/rollout-transitions.js'
import { formatVersion } from '../versions/version-number.js'
import type { TransitionContext } from '../versions/version-transitions.js'
import type { VersionRow } from '../versions/versions.table.js'
import { advanceFrom, nextAdvanceAt, ROLLOUT_TRANSITIONS } from './rollout-lifecycle.js'
import { abortActiveRollout, insertRollout, updateRolloutIf, type RolloutRow } from './rollouts.repository.js'

type Image = { id: string; code: string }
type Version = Pick<VersionRow, 'id' | 'major' | 'minor' | 'patch' | 'digest'>

/** The service itself, for automatic advances. */
export const ROLLOUT_SCHEDULER = { name: 'rollout-scheduler', tokenId: null, projects: null } as const

const versionOf = (row: Version) => ({ id: row.id, number: formatVersion(row), digest: row.digest })

async function record(ctx: TransitionContext, image: Image, version: Version, action: string, details: Record<string, unknown>) {
  await ctx.record({
    image,
    action,
    actor: ctx.actor,
    version: versionOf(version),
    details,
    requestId: ctx.requestId,
    changesResolutions: true
  })
}

/** The first stage of a version that has just become released (the plan was validated). */
export async function startRollout(ctx: TransitionContext, image: Image, version: VersionRow, plan: RolloutPlan): Promise<RolloutRow> {
  const now = new Date()
  const row = await insertRollout(ctx.trx, {
    versionId: version.id,
    imageId: image.id,
    plan,
    state: 'rolling_out',
    stageStartedAt: now,
    nextAdvanceAt: nextAdvanceAt(plan, 'rolling_out', now),
    startedBy: ctx.actor.name
  })
  await record(ctx, image, version, 'version.rollout_started', { stages: plan.stages, advanceAfter: plan.advanceAfter, stage: row.stage })
  return row
}

/**
 * One stage further (from `current.stage`); past the last listed stage the version reaches everyone
 * and the rollout is completed. undefined when the rollout moved or ended meanwhile.
 */
export async function advanceRollout(
  ctx: TransitionContext,
  image: Image,
  version: Version,
  current: RolloutRow,
  automatic: boolean
): Promise<RolloutRow | undefined> {
  const now = new Date()
  const to = advanceFrom(current.plan, current.stage, current.state)
  const completed = to.state === 'completed'
  const row = await updateRolloutIf(
    ctx.trx,
    version.id,
    { states: ROLLOUT_TRANSITIONS.advance, stage: current.stage },
    {
      stage: to.stage,
      state: to.state,
      stageStartedAt: now,
      nextAdvanceAt: nextAdvanceAt(current.plan, to.state, now),
      ...(completed ? { finishedAt: now } : {})
    }
  )
  if (!row) return undefined
  if (completed) await record(ctx, image, version, 'version.rollout_completed', { stage: row.stage, automatic })
  else await record(ctx, image, version, 'version.rollout_advanced', { from: current.stage, to: row.stage, automatic })
  return row
}

/** rolling_out → paused: the clock stops. undefined when it is not rolling out. */
export async function pauseRollout(
  ctx: TransitionContext,
  image: Image,
  version: Version,
  current: RolloutRow,
  reason?: string
): Promise<RolloutRow | undefined> {
  const row = await updateRolloutIf(ctx.trx, version.id, { states: ROLLOUT_TRANSITIONS.pause }, { state: 'paused', nextAdvanceAt: null })
  if (!row) return undefined
  await record(ctx, image, version, 'version.rollout_paused', { stage: current.stage, ...(reason !== undefined ? { reason } : {}) })
  return row
}

/** paused → rolling_out: the stage lasts advanceAfter again from now. undefined when it is not paused. */
export async function resumeRollout(
  ctx: TransitionContext,
  image: Image,
  version: Version,
  current: RolloutRow
): Promise<RolloutRow | undefined> {
  const next = nextAdvanceAt(current.plan, 'rolling_out', new Date())
  const row = await updateRolloutIf(
    ctx.trx,
    version.id,
    { states: ROLLOUT_TRANSITIONS.resume },
    { state: 'rolling_out', nextAdvanceAt: next }
  )
  if (!row) return undefined
  await record(ctx, image, version, 'version.rollout_resumed', { stage: row.stage, nextAdvanceAt: next?.toISOString() ?? null })
  return row
}

/**
 * Everyone back on the previous release at once: the rollout ends (aborted) and the version is
 * withdrawn, with one event (version.rollout_aborted, written by the version's transition).
 * undefined when the rollout is no longer active or the version no longer released.
 */
export async function abortRollout(
  ctx: TransitionContext,
  image: Image,
  version: VersionRow,
  current: RolloutRow,
  reason: string
): Promise<{ rollout: RolloutRow; version: VersionRow } | undefined> {
  const now = new Date()
  const rollout = await updateRolloutIf(
    ctx.trx,
    version.id,
    { states: ROLLOUT_TRANSITIONS.abort },
    { state: 'aborted', nextAdvanceAt: null, finishedAt: now }
  )
  if (!rollout) return undefined
  const withdrawn = await withdrawForAbortedRollout(ctx, image, version, { stage: current.stage, reason })
  // The rollout row changed in this transaction; the caller's rollback undoes it.
  if (!withdrawn) return undefined
  return { rollout, version: withdrawn }
}

/** Ends the active rollout of a version being withdrawn (no event: the withdrawal records one). */
export async function endOnWithdraw(trx: Transaction<DB>, versionId: string): Promise<void> {
  await abortActiveRollout(trx, versionId, new Date())
}
