import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { BufferedResolutionLog } from './resolution-log.js'
import { ResolutionLogMetrics } from './resolution-log-metrics.js'
import { logWriterFor } from './log-writer.js'
import { deleteImageResolutions } from './resolutions.repository.js'
import { startLogMaintenance } from './retention.js'
import impactRoutes from './impact.routes.js'
import resolutionsRoutes from './resolutions.routes.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The buffered resolution log and pull-secret grants: resolve writes, flush() writes what is pending. */
    resolutionLog: BufferedResolutionLog
  }
}

export default fp(
  async function resolutionLog(app: FastifyInstance) {
    const log = new BufferedResolutionLog(logWriterFor(app.database), app.log, new ResolutionLogMetrics(app.metrics))
    app.decorate('resolutionLog', log)
    // No foreign key to images (see the migration): a deleted image's log goes when its deletion is
    // announced, on the replica that deleted it before the deletion is answered. Other replicas
    // hear it too and find nothing left to delete. Retention takes what slips past (a batch that
    // read the image just before the deletion committed, a replica stopped before it announced).
    app.changes.subscribe((change) => (change.type === 'image.deleted' ? deleteImageResolutions(app.db, change.imageId) : undefined))
    const stopMaintenance = await startLogMaintenance(app)
    // Runs before the database plugin closes the pool (onClose hooks run in reverse order).
    app.addHook('onClose', async () => {
      stopMaintenance()
      await log.close()
    })
    await app.register(resolutionsRoutes)
    await app.register(impactRoutes)
  },
  { name: 'resolution-log', dependencies: ['metrics', 'database', 'changes', 'auth'] }
)
