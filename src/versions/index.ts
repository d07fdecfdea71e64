import type { FastifyInstance } from 'fastify'
import type { Feature } from '../http/feature.js'
import versionsRoutes from './versions.routes.js'
import type { VersionHooks } from './version-hooks.js'
import versionActionsRoutes from './version-actions.routes.js'
import { versionSchemas } from './versions.schemas.js'

// The check queue (registered before this feature) and the image-change notifier.
export function versionHooks(app: FastifyInstance): VersionHooks {
  return {
    onCheckQueued: () => app.checkQueue.wake(),
    // Resolve caches image snapshots: a changed version must reach it (and other replicas) at once.
    onVersionChanged: (imageId) => app.imageChanged(imageId)
  }
}

export const versionsFeature: Feature = {
  name: 'versions',
  schemas: versionSchemas,
  plugin: async (app) => {
    const options = versionHooks(app)
    await app.register(versionsRoutes, options)
    await app.register(versionActionsRoutes, options)
  }
}
