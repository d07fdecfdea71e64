import type { FastifyInstance } from 'fastify'
import type { Feature } from '../http/feature.js'
import versionsRoutes from './versions.routes.js'
import type { VersionHooks } from './version-hooks.js'
import versionActionsRoutes from './version-actions.routes.js'
import { versionSchemas } from './versions.schemas.js'

// The checks and resolve features, registered after this one, decorate checkQueue and
// imageChanged; they are looked up when used, so the order of registration does not matter.
export function versionHooks(app: FastifyInstance): VersionHooks {
  return {
    onCheckQueued: () => {
      if (app.hasDecorator('checkQueue')) app.checkQueue.wake()
    },
    onVersionChanged: async (imageId) => {
      // Resolve caches image snapshots: a changed version must reach it (and other replicas) at once.
      if (app.hasDecorator('imageChanged')) await app.imageChanged(imageId)
    }
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
