import type { FastifyInstance } from 'fastify'
import { scheduleRecurring } from '../jobs/recurring.js'
import { pruneFinishedDeliveries } from './deliveries.repository.js'

const DAY_MS = 86_400_000
const BATCH = 5_000

/**
 * Deletes finished deliveries (and their attempts) older than WEBHOOK_DELIVERY_RETENTION_DAYS, a
 * batch per short transaction so delivery workers never wait long behind it. Returns how many;
 * stops at once when another replica is pruning.
 */
export async function pruneOldDeliveries(app: FastifyInstance, now = new Date(), batch = BATCH): Promise<number> {
  const cutoff = new Date(now.getTime() - app.config.WEBHOOK_DELIVERY_RETENTION_DAYS * DAY_MS)
  let total = 0
  for (;;) {
    const deleted = await pruneFinishedDeliveries(app.db, cutoff, batch)
    if (deleted === undefined) return total
    total += deleted
    if (deleted < batch) return total
  }
}

/** Prunes a minute after start and then every hour. */
export function scheduleDeliveryPruning(app: FastifyInstance, everyMs = 3_600_000): () => void {
  return scheduleRecurring(app.log, {
    name: 'prune old webhook deliveries',
    doneMessage: 'pruned old webhook deliveries',
    everyMs,
    run: async () => {
      const pruned = await pruneOldDeliveries(app)
      return pruned > 0 ? { pruned } : undefined
    }
  })
}
