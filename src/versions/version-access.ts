// Who may see and who may change an image's versions. An image a project-limited token cannot see
// is a 404, not a 403, so its existence does not leak.
import { requireScope, type Principal } from '../auth/scopes.js'
import type { Database } from '../db/database.js'
import { notFound } from '../http/problem.js'
import { canSeeImage, requireImageManager } from '../images/image-access.js'
import { findImageByCode, type VersionImage } from './versions.repository.js'

async function visibleImage(db: Database, p: Principal, code: string): Promise<VersionImage> {
  const image = await findImageByCode(db, code)
  if (!image || !canSeeImage(p, image)) throw notFound('IMAGE_NOT_FOUND', `No image with code "${code}" (or it is not visible to this token); list images with GET /v1/images.`)
  return image
}

/** images:read and the image visible to one of the token's projects. */
export async function imageForReading(db: Database, p: Principal, code: string): Promise<VersionImage> {
  requireScope(p, 'images:read')
  return visibleImage(db, p, code)
}

/** images:write and a token of the image's owner project (or admin). */
export async function imageForPublishing(db: Database, p: Principal, code: string): Promise<VersionImage> {
  requireScope(p, 'images:write')
  const image = await visibleImage(db, p, code)
  requireImageManager(p, image)
  return image
}
