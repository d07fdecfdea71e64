// Publisher actions on a version (recheck, release, cancel, withdraw): the version is locked, the
// transition is a compare-and-set on its status, so of two concurrent actions on one version
// exactly one wins and the other gets a 409.
import type { Principal } from '../auth/scopes.js'
import { commitChanges } from '../changes/commit-changes.js'
import type { ChangeNotifier } from '../changes/change-bus.js'
import type { Database } from '../db/database.js'
import { violatedUnique } from '../db/pg-errors.js'
import { conflict, notFound } from '../http/problem.js'
import type { CheckQueue } from './check-queue.js'
import type { VersionImage } from './version-access.js'
import type { PublisherAction } from './version-lifecycle.js'
import { formatVersion, type VersionNumber } from './version-number.js'
import { statusConflict } from './version-problems.js'
import { applyPublisherAction } from './version-transitions.js'
import { findVersionByNumber } from './versions.repository.js'
import type { VersionRow } from './versions.table.js'

export interface ActionContext {
  db: Database
  changes: ChangeNotifier
  queue: CheckQueue
  principal: Principal
  requestId: string
}

export async function applyVersionAction(
  ctx: ActionContext,
  image: VersionImage,
  number: VersionNumber,
  action: PublisherAction,
  reason?: string
): Promise<VersionRow> {
  try {
    return await commitChanges(ctx.db, ctx.changes, async (trx, record) => {
      const current = await findVersionByNumber(trx, image.id, number, { lock: true })
      if (!current) throw versionNotFound(image.code, formatVersion(number))
      const row = await applyPublisherAction(
        { trx, record, actor: ctx.principal, requestId: ctx.requestId },
        ctx.queue,
        image,
        current,
        action,
        reason
      )
      if (!row) throw statusConflict(current, action)
      return row
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

export const versionNotFound = (code: string, version: string) =>
  notFound('VERSION_NOT_FOUND', `Image "${code}" has no version ${version}; list its versions with GET /v1/images/${code}/versions.`)
