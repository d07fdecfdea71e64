import type { FastifyInstance } from 'fastify'
import { pruneGrants } from './pull-secret-grants.repository.js'
import { pruneResolutions } from './resolutions.repository.js'

const DAY_MS = 86_400_000

/** Deletes resolution-log and grant rows older than the retention; returns the counts. */
export async function pruneOldRecords(app: FastifyInstance, now = new Date()): Promise<{ resolutions: number; grants: number }> {
  const cutoff = new Date(now.getTime() - app.config.RESOLUTION_RETENTION_DAYS * DAY_MS)
  return { resolutions: await pruneResolutions(app.db, cutoff), grants: await pruneGrants(app.db, cutoff) }
}

/**
 * Prunes a minute after start and then every hour. The timers are unref'd: they never keep the
 * process alive. Replicas may prune at the same time; deleting old rows twice is harmless.
 */
export function schedulePruning(app: FastifyInstance, everyMs = 3_600_000): () => void {
  const run = async () => {
    try {
      const pruned = await pruneOldRecords(app)
      if (pruned.resolutions + pruned.grants > 0) app.log.info(pruned, 'pruned old resolution records')
    } catch (err) {
      app.log.warn({ err }, 'could not prune old resolution records; trying again later')
    }
  }
  const first = setTimeout(() => void run(), Math.min(60_000, everyMs))
  const every = setInterval(() => void run(), everyMs)
  first.unref()
  every.unref()
  return () => {
    clearTimeout(first)
    clearInterval(every)
  }
}
