import type { Db } from '../db/schema.js'
import { deleteOlderThan } from './delete-older-than.js'

/**
 * How long a written batch's id is remembered: a batch is retried at the next flush (a second
 * later) for as long as the database is away, and a retry never comes a day after the first write.
 */
export const LOG_BATCH_MEMORY_MS = 86_400_000

/** Forgets batch ids recorded before the cutoff; returns how many. */
export const pruneLogBatches = (db: Db, olderThan: Date): Promise<number> => deleteOlderThan(db, 'log_batches', 'written_at', olderThan)
