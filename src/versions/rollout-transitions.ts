// The version's side of a staged rollout: aborting one takes the version back from everyone
// (released → withdrawn). rollouts/ ends the rollout row; the status change and its one event
// (version.rollout_aborted) happen here, in the caller's transaction, as every change of status does.
import { changesResolutions, TRANSITIONS } from './version-lifecycle.js'
import { formatVersion } from './version-number.js'
import type { TransitionContext } from './version-transitions.js'
import { updateVersionIfStatus } from './versions.repository.js'
import type { VersionRow } from './versions.table.js'

/**
 * released → withdrawn for an aborted rollout of `current` (locked by the caller), with the stage the
 * rollout had reached in the event. undefined when the version is no longer released.
 */
export async function withdrawForAbortedRollout(
  ctx: TransitionContext,
  image: { id: string; code: string },
  current: VersionRow,
  abort: { stage: number; reason: string }
): Promise<VersionRow | undefined> {
  const { from, to } = TRANSITIONS.abort_rollout
  const now = new Date()
  const row = await updateVersionIfStatus(ctx.trx, current.id, from, {
    status: to,
    statusReason: abort.reason,
    withdrawnBy: ctx.actor.name,
    withdrawnAt: now,
    withdrawReason: abort.reason
  })
  if (!row) return undefined
  await ctx.record({
    image,
    action: 'version.rollout_aborted',
    actor: ctx.actor,
    version: { id: row.id, number: formatVersion(row), digest: row.digest },
    details: { from: current.status, to: row.status, stage: abort.stage, reason: abort.reason },
    requestId: ctx.requestId,
    changesResolutions: changesResolutions(current.status, row.status)
  })
  return row
}
