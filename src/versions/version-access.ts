// Who may see and who may change an image's versions: images/'s rules, applied to the image the
// versions belong to.
import { requireScope, type Principal } from '../auth/scopes.js'
import type { Database } from '../db/database.js'
import { requireImageManager } from '../images/image-access.js'
import { visibleImage } from '../images/images.service.js'
import type { ImageRecord } from '../images/images.repository.js'

export type VersionImage = ImageRecord

/** images:read and the image visible to one of the token's projects (else 404). */
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
