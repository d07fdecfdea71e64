// Who may see and who may change an image's versions. An image a project-limited token cannot see
// is a 404, not a 403, so its existence does not leak.
import { requireScope, type Principal } from '../auth/scopes.js'
import type { Database } from '../db/database.js'
import { forbidden, notFound } from '../http/problem.js'
import { canSeeImage, isImageOwner } from '../images/image-access.js'
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

/** images:write and an owner of the image (or admin). */
export async function imageForPublishing(db: Database, p: Principal, code: string): Promise<VersionImage> {
  requireScope(p, 'images:write')
  const image = await visibleImage(db, p, code)
  if (!isImageOwner(p, image)) {
    throw forbidden('NOT_IMAGE_OWNER', `Token "${p.name}" is not an owner of image "${code}" (owners: ${image.owners.join(', ')}); ask an owner or an admin to add it to the image's owners.`)
  }
  return image
}
