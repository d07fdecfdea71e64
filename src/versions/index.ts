import type { Feature } from '../http/feature.js'
import type { ImageVersions } from '../images/index.js'
import type { CheckQueue } from './check-queue.js'
import { imageLines } from './image-lines.js'
import versionsRoutes from './versions.routes.js'
import versionActionsRoutes from './version-actions.routes.js'
import { findLineVersions, hasPublishedVersions } from './versions.repository.js'
import { versionSchemas } from './versions.schemas.js'

export type { CheckQueue } from './check-queue.js'

/** `queue`: the pullability check queue (checks/ implements it). */
export const versionsFeature = (queue: CheckQueue): Feature => ({
  name: 'versions',
  schemas: versionSchemas,
  plugin: async (app) => {
    await app.register(versionsRoutes, { queue })
    await app.register(versionActionsRoutes, { queue })
  }
})

/** What images need to know of their versions. */
export const imageVersions: ImageVersions = {
  lines: async (db, imageId) => imageLines(await findLineVersions(db, imageId)),
  hasPublished: hasPublishedVersions
}
