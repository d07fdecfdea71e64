// Housekeeping that runs a minute after start and then on a period (pruning old rows). The timers
// are unref'd, so they never keep the process alive; a failed run is logged and tried again at the
// next period. Replicas may run it at the same time: each task must be safe to run twice.
import type { FastifyBaseLogger } from 'fastify'

export interface RecurringTask {
  /** What it does, for the log when it fails: "prune old webhook deliveries". */
  name: string
  /** What the log says when a run did something: "pruned old webhook deliveries". */
  doneMessage: string
  everyMs: number
  /** Runs once; returns what to log when it did something, or undefined. */
  run: () => Promise<Record<string, number> | undefined>
}

/** Starts the task; the returned function stops it. */
export function scheduleRecurring(log: FastifyBaseLogger, task: RecurringTask): () => void {
  const run = async () => {
    try {
      const done = await task.run()
      if (done) log.info(done, task.doneMessage)
    } catch (err) {
      log.warn({ err }, `could not ${task.name}; trying again later`)
    }
  }
  const first = setTimeout(() => void run(), Math.min(60_000, task.everyMs))
  const every = setInterval(() => void run(), task.everyMs)
  first.unref()
  every.unref()
  return () => {
    clearTimeout(first)
    clearInterval(every)
  }
}
