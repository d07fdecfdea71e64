import type { Db } from '../db/schema.js'
import type { ImageLine } from './images.schemas.js'

/**
 * What images need to know of their versions. Declared here and implemented by versions/ (wired
 * in app.ts): versions build on images, so images never import them.
 */
export interface ImageVersions {
  /** One entry per major line with a release or a version in progress, highest major first. */
  lines(db: Db, imageId: string): Promise<ImageLine[]>
  /** Whether a version was ever released: pipelines may reference it, so the image must stay. */
  hasPublished(db: Db, imageId: string): Promise<boolean>
}
