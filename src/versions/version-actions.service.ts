// Publisher actions on a version (recheck, release, cancel, withdraw): the version is locked, the
// transition is a compare-and-set on its status, so of two concurrent actions on one version
// exactly one wins and the other gets a 409.
import type { Transaction } from 'kysely'
import type { Principal } from '../auth/scopes.js'
import { commitChanges, type RecordChange } from '../changes/commit-changes.js'
import type { ChangeNotifier } from '../changes/change-bus.js'
import type { Database } from '../db/database.js'
import type { DB } from '../db/schema.js'
import { violatedUnique } from '../db/pg-errors.js'
import { conflict, notFound } from '../http/problem.js'
import type { CheckQueue } from './check-queue.js'
import type { ReleaseRollouts } from './release-rollouts.js'
import { releaseVersion, requestRelease } from './release-transitions.js'
import type { RolloutPlan } from './rollout-plan.js'
import { soakNotMet } from './soak-time.js'
import type { VersionImage } from './version-access.js'
import { formatVersion, type VersionNumber } from './version-number.js'
import { statusConflict } from './version-problems.js'
import { applyPublisherAction, type StatusAction } from './version-transitions.js'
import { findVersionByNumber } from './versions.repository.js'
import type { VersionRow } from './versions.table.js'

export interface ActionContext {
  db: Database
  changes: ChangeNotifier
  queue: CheckQueue
  rollouts: ReleaseRollouts
  principal: Principal
  requestId: string
}

export async function applyVersionAction(
  ctx: ActionContext,
  image: VersionImage,
  number: VersionNumber,
  action: StatusAction,
  reason?: string
): Promise<VersionRow> {
  return onLockedVersion(ctx, image, number, async (trx, record, current) => {
    const row = await applyPublisherAction(
      { trx, record, actor: ctx.principal, requestId: ctx.requestId },
      ctx,
      image,
      current,
      action,
      reason
    )
    if (!row) throw statusConflict(current, action)
    return row
  })
}

/**
 * testing → released, or → awaiting_approval when the image requires approvals; refused while the
 * image's minimum testing time is not over. `plan`: the staged rollout asked for, checked before
 * anything changes.
 */
export async function releaseVersionAction(
  ctx: ActionContext,
  image: VersionImage,
  number: VersionNumber,
  plan: RolloutPlan | null
): Promise<VersionRow> {
  if (plan !== null) ctx.rollouts.validate(plan, image)
  return onLockedVersion(ctx, image, number, async (trx, record, current) => {
    if (current.status !== 'testing') throw statusConflict(current, 'release')
    const releasableAt = soakNotMet(new Date(), current.testingSince, image.minTestingTime)
    if (releasableAt !== null) throw soakTimeNotMet(current, image.minTestingTime ?? '', releasableAt)
    const transition = { trx, record, actor: ctx.principal, requestId: ctx.requestId }
    const by = { name: ctx.principal.name, tokenId: ctx.principal.tokenId }
    const row = image.approval
      ? await requestRelease(transition, image, current, by, image.approval, plan)
      : await releaseVersion(transition, ctx.rollouts, image, current, by, plan)
    if (!row) throw statusConflict(current, 'release')
    return row
  })
}

/** Runs `work` on the version, locked, in the transaction that records its events. */
export async function onLockedVersion(
  ctx: Pick<ActionContext, 'db' | 'changes'>,
  image: VersionImage,
  number: VersionNumber,
  work: (trx: Transaction<DB>, record: RecordChange, current: VersionRow) => Promise<VersionRow>
): Promise<VersionRow> {
  try {
    return await commitChanges(ctx.db, ctx.changes, async (trx, record) => {
      const current = await findVersionByNumber(trx, image.id, number, { lock: true })
      if (!current) throw versionNotFound(image.code, formatVersion(number))
      return work(trx, record, current)
    })
  } catch (error) {
    if (violatedUnique(error) === 'image_versions_released_reference') {
      throw conflict(
        'REFERENCE_ALREADY_RELEASED',
        `Another released version of image "${image.code}" already uses this registry/repository:tag; withdraw it first or submit the image under a new tag.`
      )
    }
    throw error
  }
}

function soakTimeNotMet(version: VersionRow, minTestingTime: string, releasableAt: Date) {
  const v = formatVersion(version)
  const since = version.testingSince?.toISOString() ?? ''
  return conflict(
    'SOAK_TIME_NOT_MET',
    `Version ${v} has been testing since ${since}; image versions must test for ${minTestingTime} before release, so it can be released from ${releasableAt.toISOString()}.`,
    { version: v, minTestingTime, testingSince: since, releasableAt: releasableAt.toISOString() }
  )
}

export const versionNotFound = (code: string, version: string) =>
  notFound('VERSION_NOT_FOUND', `Image "${code}" has no version ${version}; list its versions with GET /v1/images/${code}/versions.`)
