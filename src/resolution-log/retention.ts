import type { FastifyInstance } from 'fastify'
import { scheduleRecurring } from '../jobs/recurring.js'
import { LOG_BATCH_MEMORY_MS, pruneLogBatches } from './log-batches.repository.js'
import { pruneGrants } from './pull-secret-grants.repository.js'
import { pruneResolutions } from './resolutions.repository.js'

const DAY_MS = 86_400_000

/** Deletes resolution-log and grant rows older than the retention, and batch ids older than a day; returns the counts. */
export async function pruneOldRecords(
  app: FastifyInstance,
  now = new Date()
): Promise<{ resolutions: number; grants: number; batches: number }> {
  const cutoff = new Date(now.getTime() - app.config.RESOLUTION_RETENTION_DAYS * DAY_MS)
  return {
    resolutions: await pruneResolutions(app.db, cutoff),
    grants: await pruneGrants(app.db, cutoff),
    batches: await pruneLogBatches(app.db, new Date(now.getTime() - LOG_BATCH_MEMORY_MS))
  }
}

/** Prunes a minute after start and then every hour; deleting old rows twice is harmless. */
export function schedulePruning(app: FastifyInstance, everyMs = 3_600_000): () => void {
  return scheduleRecurring(app.log, {
    name: 'prune old resolution records',
    doneMessage: 'pruned old resolution records',
    everyMs,
    run: async () => {
      const pruned = await pruneOldRecords(app)
      return pruned.resolutions + pruned.grants + pruned.batches > 0 ? pruned : undefined
    }
  })
}
