// Operator actions on a rollout (advance, pause, resume, abort): the version row is locked, then the
// rollout row, so of two concurrent actions exactly one wins and the other sees what the first did
// (a 409 naming the state, or the stage it moved to).
import type { Principal } from '../auth/scopes.js'
import type { ChangeNotifier } from '../changes/change-bus.js'
import { commitChanges } from '../changes/commit-changes.js'
import type { Database } from '../db/database.js'
import { versionNotFound } from '../versions/version-actions.service.js'
import type { VersionImage } from '../versions/version-access.js'
import { formatVersion, type VersionNumber } from '../versions/version-number.js'
import { statusConflict } from '../versions/version-problems.js'
import { findVersionByNumber } from '../versions/versions.repository.js'
import type { VersionRow } from '../versions/versions.table.js'
import { canApplyRollout, type RolloutAction } from './rollout-lifecycle.js'
import { rolloutNotFound, rolloutStateConflict, stageMoved } from './rollout-problems.js'
import { abortRollout, advanceRollout, pauseRollout, resumeRollout } from './rollout-transitions.js'
import { findRollout, lockRollout, type RolloutRow } from './rollouts.repository.js'
import type { Db } from '../db/schema.js'

export interface RolloutActionContext {
  db: Database
  changes: ChangeNotifier
  principal: Principal
  requestId: string
  /** Told after each committed advance (metrics). */
  onAdvanced?: (automatic: boolean) => void
}

export type RolloutRequest =
  | { action: 'advance'; fromStage?: number | undefined }
  | { action: 'pause'; reason?: string | undefined }
  | { action: 'resume' }
  | { action: 'abort'; reason: string }

export interface RolloutAndVersion {
  rollout: RolloutRow
  version: VersionRow
}

export async function applyRolloutAction(
  ctx: RolloutActionContext,
  image: VersionImage,
  number: VersionNumber,
  request: RolloutRequest
): Promise<RolloutAndVersion> {
  const v = formatVersion(number)
  const done = await commitChanges(ctx.db, ctx.changes, async (trx, record) => {
    const version = await findVersionByNumber(trx, image.id, number, { lock: true })
    if (!version) throw versionNotFound(image.code, v)
    const current = await lockRollout(trx, version.id)
    if (!current) throw rolloutNotFound(image.code, v)
    const action: RolloutAction = request.action
    if (!canApplyRollout(current.state, action)) throw rolloutStateConflict(current, v, action)
    const tctx = { trx, record, actor: ctx.principal, requestId: ctx.requestId }
    switch (request.action) {
      case 'advance': {
        if (request.fromStage !== undefined && request.fromStage !== current.stage) throw stageMoved(current, v, request.fromStage)
        const rollout = await advanceRollout(tctx, image, version, current, false)
        if (!rollout) throw rolloutStateConflict(current, v, action)
        return { rollout, version }
      }
      case 'pause': {
        const rollout = await pauseRollout(tctx, image, version, current, request.reason)
        if (!rollout) throw rolloutStateConflict(current, v, action)
        return { rollout, version }
      }
      case 'resume': {
        const rollout = await resumeRollout(tctx, image, version, current)
        if (!rollout) throw rolloutStateConflict(current, v, action)
        return { rollout, version }
      }
      case 'abort': {
        // Throwing rolls back the rollout row too: an aborted rollout always has a withdrawn version.
        const aborted = await abortRollout(tctx, image, version, current, request.reason)
        if (!aborted) throw statusConflict(version, 'withdraw')
        return aborted
      }
    }
  })
  if (request.action === 'advance') ctx.onAdvanced?.(false)
  return done
}

/** The version (404 VERSION_NOT_FOUND) and its rollout (404 ROLLOUT_NOT_FOUND), unlocked, for reading. */
export async function findVersionRollout(db: Db, image: VersionImage, number: VersionNumber): Promise<RolloutAndVersion> {
  const v = formatVersion(number)
  const version = await findVersionByNumber(db, image.id, number)
  if (!version) throw versionNotFound(image.code, v)
  const rollout = await findRollout(db, version.id)
  if (!rollout) throw rolloutNotFound(image.code, v)
  return { rollout, version }
}
