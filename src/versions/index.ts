import type { Feature } from '../http/feature.js'
import type { CredentialUsers } from '../credentials/index.js'
import type { ImageVersions } from '../images/index.js'
import { findImageCodesWithCredential } from '../images/images.repository.js'
import type { CheckQueue } from './check-queue.js'
import { imageLines } from './image-lines.js'
import versionsRoutes from './versions.routes.js'
import versionActionsRoutes from './version-actions.routes.js'
import approvalsRoutes from './approvals.routes.js'
import type { ReleaseRollouts } from './release-rollouts.js'
import {
  findImagesPullingWith,
  findLineVersions,
  findVersionsOutside,
  findVersionsWithCredential,
  hasPublishedVersions
} from './versions.repository.js'
import { versionSchemas } from './versions.schemas.js'

export type { CheckQueue } from './check-queue.js'
export type { ReleaseRollouts } from './release-rollouts.js'

/**
 * `queue`: the pullability check queue (checks/ implements it); `rollouts`: staged rollouts started
 * by a release and ended by a withdrawal (rollouts/ implements it).
 */
export const versionsFeature = (queue: CheckQueue, rollouts: ReleaseRollouts): Feature => ({
  name: 'versions',
  schemas: versionSchemas,
  plugin: async (app) => {
    await app.register(versionsRoutes, { queue })
    await app.register(versionActionsRoutes, { queue, rollouts })
    await app.register(approvalsRoutes, { rollouts })
  }
})

/** What images need to know of their versions. */
export const imageVersions: ImageVersions = {
  lines: async (db, imageId) => imageLines(await findLineVersions(db, imageId)),
  hasPublished: hasPublishedVersions
}

// Enough to name in a 409; the client fixes those and tries again.
const NAMED = 20

/** Who pulls with a credential, for credentials' conflicts and cache invalidation. */
export const credentialUsers: CredentialUsers = {
  usage: async (db, id) => {
    const [images, versions] = await Promise.all([findImageCodesWithCredential(db, id, NAMED), findVersionsWithCredential(db, id, NAMED)])
    return { images, versions }
  },
  versionsOutside: (db, id, registries) => findVersionsOutside(db, id, registries, NAMED),
  imagesPullingWith: findImagesPullingWith
}
