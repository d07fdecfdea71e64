import type { FastifyInstance } from 'fastify'
import { scheduleRecurring } from '../jobs/recurring.js'
import { LOG_BATCH_MEMORY_MS, pruneLogBatches } from './log-batches.repository.js'
import { maintainLogPartitions } from './log-partitions.repository.js'
import { rollUpClosedDays } from './usage-rollup.repository.js'

/**
 * One run of the log's upkeep: the coming days' partitions created, closed days indexed and summed for usage,
 * the days past the retention dropped whole (resolutions, pull-secret grants, the usage summary),
 * and batch ids older than a day forgotten. Returns what it did; what another replica is doing now
 * is left to it.
 */
export async function maintainLog(
  app: FastifyInstance,
  now = new Date()
): Promise<{ created: string[]; indexed: string[]; dropped: string[]; rolledUp: number; batches: number }> {
  const partitions = await maintainLogPartitions(app.db, now, app.config.RESOLUTION_RETENTION_DAYS)
  return {
    created: partitions?.created ?? [],
    indexed: partitions?.indexed ?? [],
    dropped: partitions?.dropped ?? [],
    rolledUp: await rollUpClosedDays(app.db, now),
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
    const counts = {
      created: done.created.length,
      indexed: done.indexed.length,
      dropped: done.dropped.length,
      rolledUp: done.rolledUp,
      batches: done.batches
    }
    return Object.values(counts).some((n) => n > 0) ? counts : undefined
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
