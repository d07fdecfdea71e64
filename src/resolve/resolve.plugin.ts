import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { notify } from '../db/notifications.plugin.js'
import { BatchWriter } from './batch-writer.js'
import { insertGrants, type GrantRecord } from './grants.repository.js'
import { insertResolutions, type ResolutionRecord } from './resolutions.repository.js'
import { resolutionCoalescing } from './resolution-coalescing.js'
import { loadImageSnapshot } from './resolve.repository.js'
import { Resolver } from './resolve.service.js'
import { SnapshotCache } from './snapshot-cache.js'
import { schedulePruning } from './retention.js'
import resolveRoutes from './resolve.routes.js'
import resolutionsRoutes from './resolutions.routes.js'

export const IMAGE_CHANGED_CHANNEL = 'image_changed'
// Invalidation keeps entries exact; the TTL only bounds the damage of a change nobody announced.
const SAFETY_TTL_MS = 30_000
// Without LISTEN, other replicas' changes are not heard: trust an entry only briefly.
const UNLISTENED_TTL_MS = 1_000

declare module 'fastify' {
  interface FastifyInstance {
    /** The buffered resolution log and pull-secret grant writers; flush() writes what is pending. */
    resolutionLog: { flush(): Promise<void>; readonly dropped: number; readonly buffered: number }
  }
}

export default fp(
  async function resolve(app: FastifyInstance) {
    const cache = new SnapshotCache({
      enabled: app.config.RESOLVE_CACHE,
      load: (code) => loadImageSnapshot(app.db, code),
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

    const resolutions = new BatchWriter<ResolutionRecord>({
      name: 'resolution log',
      log: app.log,
      write: (rows) => insertResolutions(app.db, rows),
      coalesce: resolutionCoalescing
    })
    const grants = new BatchWriter<GrantRecord>({ name: 'pull-secret grants', log: app.log, write: (rows) => insertGrants(app.db, rows) })
    app.decorate('resolutionLog', {
      flush: async () => {
        await Promise.all([resolutions.flush(), grants.flush()])
      },
      get dropped() {
        return resolutions.dropped + grants.dropped
      },
      get buffered() {
        return resolutions.buffered + grants.buffered
      }
    })
    const stopPruning = schedulePruning(app)

    // Runs before the database plugin closes the pool (onClose hooks run in reverse order).
    app.addHook('onClose', async () => {
      stopPruning()
      await Promise.all([resolutions.close(), grants.close()])
    })

    const resolver = new Resolver(app, cache, resolutions, grants)
    await app.register(resolveRoutes, { resolver })
    await app.register(resolutionsRoutes)
  },
  { name: 'resolve', dependencies: ['database', 'notifications', 'auth', 'credentials', 'image-changes'] }
)
