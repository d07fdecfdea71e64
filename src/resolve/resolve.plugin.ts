import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { notify } from '../db/notifications.plugin.js'
import { listResolvableVersions } from '../versions/versions.repository.js'
import { toSnapshot } from './image-snapshot.js'
import { Resolver } from './resolve.service.js'
import { SnapshotCache } from './snapshot-cache.js'
import resolveRoutes from './resolve.routes.js'

export const IMAGE_CHANGED_CHANNEL = 'image_changed'
// Invalidation keeps entries exact; the TTL only bounds the damage of a change nobody announced.
const SAFETY_TTL_MS = 30_000
// Without LISTEN, other replicas' changes are not heard: trust an entry only briefly.
const UNLISTENED_TTL_MS = 1_000

export default fp(
  async function resolve(app: FastifyInstance) {
    const cache = new SnapshotCache({
      enabled: app.config.RESOLVE_CACHE,
      load: async (code) => toSnapshot(await listResolvableVersions(app.db, code)),
      freshMs: () => (app.notifications.hearsOthers ? SAFETY_TTL_MS : UNLISTENED_TTL_MS)
    })
    if (app.config.RESOLVE_CACHE) {
      app.notifications.on(IMAGE_CHANGED_CHANNEL, (imageId) => cache.invalidate(imageId))
      app.notifications.onConnect(() => cache.invalidateAll())
    }

    // Drops this replica's snapshot at once and, on PostgreSQL, tells every other replica.
    app.onImageChanged(async (imageId: string) => {
      cache.invalidate(imageId)
      if (app.database.kind !== 'postgres') return
      try {
        await notify(app.db, IMAGE_CHANGED_CHANNEL, imageId)
      } catch (err) {
        app.log.warn({ err, imageId }, 'could not notify other replicas of an image change; their caches catch up within 30 s')
      }
    })

    const resolver = new Resolver(app, cache, app.resolutionLog)
    await app.register(resolveRoutes, { resolver })
  },
  { name: 'resolve', dependencies: ['database', 'notifications', 'auth', 'credentials', 'image-changes', 'resolution-log'] }
)
