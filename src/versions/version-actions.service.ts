// Publisher actions on a version (recheck, release, cancel, withdraw): each is a compare-and-set on
// the current status inside one transaction with its side effects and its audit event, so of two
// concurrent actions on one version exactly one wins and the other gets a 409.
import type { Principal } from '../auth/scopes.js'
import type { Database } from '../db/database.js'
import { recordEvent } from '../events/events.repository.js'
import { conflict, notFound } from '../http/problem.js'
import { deleteJobOfVersion, enqueueCheck } from '../checks/check-jobs.repository.js'
import { changesResolutions, TRANSITIONS, type PublisherAction } from './version-lifecycle.js'
import { formatVersion, type VersionNumber } from './version-number.js'
import { findVersionByNumber, markImageReleased, updateVersionIfStatus, type VersionImage } from './versions.repository.js'
import { statusConflict } from './version-problems.js'
import { violatedUnique } from '../db/pg-errors.js'
import type { VersionRow, VersionUpdate } from './versions.table.js'
import type { VersionHooks } from './version-hooks.js'

export interface ActionContext {
  db: Database
  principal: Principal
  requestId: string
  hooks: VersionHooks
}

const EVENT_ACTIONS: Record<PublisherAction, string> = {
  recheck: 'version.recheck_requested',
  release: 'version.released',
  cancel: 'version.cancelled',
  withdraw: 'version.withdrawn'
}

function changesFor(action: PublisherAction, by: string, at: Date, reason: string | undefined): VersionUpdate {
  const status = TRANSITIONS[action].to
  switch (action) {
    case 'recheck':
      return { status, statusReason: null, checkClass: null }
    case 'release':
      return { status, statusReason: null, releasedBy: by, releasedAt: at }
    case 'cancel':
      return { status, statusReason: reason ?? null, cancelledBy: by, cancelledAt: at }
    case 'withdraw':
      return { status, statusReason: reason ?? null, withdrawnBy: by, withdrawnAt: at, withdrawReason: reason ?? null }
  }
}

export async function applyVersionAction(ctx: ActionContext, image: VersionImage, number: VersionNumber, action: PublisherAction, reason?: string): Promise<VersionRow> {
  try {
    const updated = await ctx.db.transaction().execute(async (trx) => {
      // Locked first, so the event's "from" is the status this action actually changed.
      const current = await findVersionByNumber(trx, image.id, number, { lock: true })
      if (!current) throw versionNotFound(image.code, formatVersion(number))
      const now = new Date()
      const row = await updateVersionIfStatus(trx, current.id, TRANSITIONS[action].from, changesFor(action, ctx.principal.name, now, reason))
      if (!row) throw statusConflict(current, action)
      if (action === 'release') await markImageReleased(trx, image.id, now)
      if (action === 'recheck') await enqueueCheck(trx, row.id)
      // A check under way for a cancelled version finds no job and no 'checking' status: dropped.
      if (action === 'cancel') await deleteJobOfVersion(trx, row.id)
      await recordEvent(trx, {
        imageId: image.id,
        action: EVENT_ACTIONS[action],
        actor: ctx.principal,
        version: formatVersion(row),
        details: { from: current.status, to: row.status, ...(reason !== undefined ? { reason } : {}), ...(action === 'recheck' ? { previousDigest: current.digest } : {}) },
        requestId: ctx.requestId
      })
      return { from: current.status, row }
    })
    if (action === 'recheck') ctx.hooks.onCheckQueued()
    if (changesResolutions(updated.from, updated.row.status)) await ctx.hooks.onVersionChanged(image.id)
    return updated.row
  } catch (error) {
    if (violatedUnique(error) === 'image_versions_released_reference') {
      throw conflict('REFERENCE_ALREADY_RELEASED', `Another released version of image "${image.code}" already uses this registry/repository:tag; withdraw it first or submit the image under a new tag.`)
    }
    throw error
  }
}

export const versionNotFound = (code: string, version: string) =>
  notFound('VERSION_NOT_FOUND', `Image "${code}" has no version ${version}; list its versions with GET /v1/images/${code}/versions.`)
