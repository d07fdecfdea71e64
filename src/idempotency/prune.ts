import type { Database } from '../db/database.js'
import { pruneIdempotencyRecords } from './idempotency.repository.js'
import { IDEMPOTENCY_TTL_MS } from './idempotency.js'

// Expired keys are deleted off the request path, at most once an hour per process: the table
// stays small without a scheduler, and a failed prune only means a later one does more.
const PRUNE_EVERY_MS = 60 * 60 * 1000
let lastPrune = 0

export function pruneExpiredKeysOccasionally(db: Database, now = Date.now()): void {
  if (now - lastPrune < PRUNE_EVERY_MS) return
  lastPrune = now
  pruneIdempotencyRecords(db, IDEMPOTENCY_TTL_MS).catch(() => {})
}
