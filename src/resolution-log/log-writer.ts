import type { DatabaseHandle } from '../db/database.js'
import type { Db } from '../db/schema.js'
import { copyLogWriter } from './copy-log-writer.js'
import { insertGrants, insertResolutions, type GrantRecord, type ResolutionRecord } from './log-inserts.js'
import { ensurePartitionsFor, isMissingPartition } from './log-partitions.repository.js'
import type { LogTable } from './log-partitions.js'

/**
 * Writes one batch of a log. A batch carries an id: writing the same batch again (a retry after a
 * write whose outcome was unknown) adds nothing.
 */
export interface LogWriter {
  /** Rows per batch: as many as it writes without holding the event loop long (COPY sends them a chunk at a time). */
  readonly batchSize: number
  resolutions(rows: readonly ResolutionRecord[], batchId: string): Promise<void>
  grants(rows: readonly GrantRecord[], batchId: string): Promise<void>
}

/**
 * COPY on PostgreSQL; on the embedded PGlite database, which has no COPY from a client stream, one
 * insert … select from unnest per batch (log-inserts.ts). Either way a batch that finds no partition
 * for its days creates them and is written again.
 */
export function logWriterFor(database: Pick<DatabaseHandle, 'db' | 'pool'>): LogWriter {
  return creatingPartitions(database.db, database.pool ? copyLogWriter(database.pool) : insertLogWriter(database.db))
}

/** The insert path (log-inserts.ts) as a LogWriter. */
export function insertLogWriter(db: Db): LogWriter {
  return {
    // A batch's parameters are built in one event-loop turn (docs/benchmarks.md has the figures).
    batchSize: 500,
    resolutions: (rows, batchId) => insertResolutions(db, batchId, rows),
    grants: (rows, batchId) => insertGrants(db, batchId, rows)
  }
}

/**
 * A write that fails because no partition takes some of its rows (maintenance has not run for a
 * week, or rows dated outside the days created ahead) creates the partitions of the batch's days and
 * writes the same batch, same id, once more. The failed write rolled back as a whole, id included.
 */
export function creatingPartitions(db: Db, writer: LogWriter): LogWriter {
  return {
    batchSize: writer.batchSize,
    resolutions: (rows, batchId) =>
      retriedWithPartitions(
        db,
        'resolutions',
        () => rows.map((r) => r.resolvedAt),
        () => writer.resolutions(rows, batchId)
      ),
    grants: (rows, batchId) =>
      retriedWithPartitions(
        db,
        'pull_secret_grants',
        () => rows.map((r) => r.grantedAt),
        () => writer.grants(rows, batchId)
      )
  }
}

async function retriedWithPartitions(db: Db, table: LogTable, times: () => Date[], write: () => Promise<void>): Promise<void> {
  try {
    await write()
  } catch (err) {
    if (!isMissingPartition(err)) throw err
    await ensurePartitionsFor(db, table, times())
    await write()
  }
}
