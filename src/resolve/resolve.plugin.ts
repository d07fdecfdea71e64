import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { listResolvableVersions } from './snapshot.repository.js'
import { toSnapshot } from './image-snapshot.js'
import { ResolveMetrics } from './resolve-metrics.js'
import { Resolver } from './resolve.service.js'
import { SnapshotCache } from './snapshot-cache.js'
import resolveRoutes from './resolve.routes.js'
import explainRoutes from './explain.routes.js'

// Invalidation keeps entries exact; the TTL only bounds the damage of a change nobody announced.
const SAFETY_TTL_MS = 30_000
// Without LISTEN, other replicas' changes are not heard: trust an entry only briefly.
const UNLISTENED_TTL_MS = 1_000

export default fp(
  async function resolve(app: FastifyInstance) {
    const cache = new SnapshotCache({
      enabled: app.config.RESOLVE_CACHE,
      maxEntries: app.config.RESOLVE_CACHE_MAX_IMAGES,
      load: async (code) => toSnapshot(await listResolvableVersions(app.db, code)),
      freshMs: () => (app.notifications.hearsOthers ? SAFETY_TTL_MS : UNLISTENED_TTL_MS)
    })
    // Every committed change, this replica's or another's, comes through app.changes.
    app.changes.subscribe((change) => {
      if (change.changesResolutions) cache.invalidate(change.imageId)
    })
    app.changes.onMissed(() => cache.invalidateAll())

    const resolver = new Resolver(app, cache, app.resolutionLog, new ResolveMetrics(app.metrics))
    await app.register(resolveRoutes, { resolver })
    await app.register(explainRoutes, { cache })
  },
  { name: 'resolve', dependencies: ['metrics', 'database', 'notifications', 'changes', 'auth', 'credentials', 'resolution-log'] }
)
