import type { FastifyInstance } from 'fastify'
import { scheduleRecurring } from '../jobs/recurring.js'
import { LOG_BATCH_MEMORY_MS, pruneLogBatches } from './log-batches.repository.js'
import { maintainLogPartitions } from './log-partitions.repository.js'

/**
 * One run of the log's upkeep: the coming days' partitions created, the days past the retention
 * dropped whole (resolutions and pull-secret grants), and batch ids older than a day forgotten.
 * Returns what it did; partitions are left alone when another replica maintains them now.
 */
export async function maintainLog(
  app: FastifyInstance,
  now = new Date()
): Promise<{ created: string[]; dropped: string[]; batches: number }> {
  const partitions = await maintainLogPartitions(app.db, now, app.config.RESOLUTION_RETENTION_DAYS)
  return {
    created: partitions?.created ?? [],
    dropped: partitions?.dropped ?? [],
    batches: await pruneLogBatches(app.db, new Date(now.getTime() - LOG_BATCH_MEMORY_MS))
  }
}

/**
 * Maintains the log once now (so the first writes find today's partition), then every hour;
 * running twice, or on every replica, is harmless. A failure at start is logged, not fatal: the
 * migration created a week of partitions, and a writer creates one it lacks.
 */
export async function startLogMaintenance(app: FastifyInstance, everyMs = 3_600_000): Promise<() => void> {
  const run = async () => {
    const done = await maintainLog(app)
    const changed = done.created.length + done.dropped.length + done.batches > 0
    return changed ? { created: done.created.length, dropped: done.dropped.length, batches: done.batches } : undefined
  }
  try {
    const done = await run()
    if (done) app.log.info(done, 'maintained the resolution log')
  } catch (err) {
    app.log.warn({ err }, 'could not maintain the resolution log at start; trying again later')
  }
  return scheduleRecurring(app.log, {
    name: 'maintain the resolution log',
    doneMessage: 'maintained the resolution log',
    everyMs,
    run
  })
}
