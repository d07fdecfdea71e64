import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/schema.js'

/**
 * Deletes the rows of an append-only log older than the cutoff, in chunks, so the prune never
 * holds one long transaction over the table the resolve path keeps writing to. Returns how many.
 */
export async function deleteOlderThan(
  db: Kysely<DB> | Transaction<DB>,
  table: 'log_batches',
  timeColumn: 'written_at',
  olderThan: Date,
  chunk = 10_000
): Promise<number> {
  let total = 0
  for (;;) {
    const result = await sql`
      delete from ${sql.table(table)} where id = any(array(
        select id from ${sql.table(table)} where ${sql.ref(timeColumn)} < ${olderThan.toISOString()}::timestamptz limit ${chunk}))`.execute(
      db
    )
    const deleted = Number(result.numAffectedRows ?? 0)
    total += deleted
    if (deleted < chunk) return total
  }
}
