import { pipeline } from 'node:stream/promises'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { sqlstateOf } from '../db/pg-errors.js'
import { copyChunk, GRANT_COLUMNS, grantLine, RESOLUTION_COLUMNS, resolutionLine } from './copy-text.js'
import type { ResolutionRecord } from './log-inserts.js'
import type { LogName } from './resolution-log-metrics.js'
import type { LogWriter } from './log-writer.js'

/**
 * Rows per write to the COPY stream: each write's text is built in one event-loop turn, and this
 * many rows are built in well under a millisecond.
 */
export const COPY_CHUNK_ROWS = 128

/** Rows per batch at most (see LogWriter.batchSize). */
export const COPY_BATCH_ROWS = 2000

const UNIQUE_VIOLATION = '23505'

export interface CopyLogWriterOptions {
  chunkRows?: number
}

/**
 * Writes each batch with COPY … FROM STDIN on a connection of the pool, in one transaction that
 * first records the batch's id: a batch already recorded (its acknowledgement was lost, and the
 * batch writer retries it) fails that insert with a unique violation and adds nothing. Two writes of
 * one batch at once: the second waits for the first's transaction, then finds the id.
 *
 * A connection whose transaction failed is closed instead of going back to the pool: an error in the
 * middle of COPY leaves pg-copy-streams' stream and the client in a state not worth trusting, and a
 * failed batch is rare (an outage, a missing partition, a row the database refuses).
 */
export function copyLogWriter(pool: pg.Pool, options: CopyLogWriterOptions = {}): LogWriter {
  const chunkRows = options.chunkRows ?? COPY_CHUNK_ROWS
  return {
    // Each batch costs PostgreSQL a transaction and a few statements whatever its size; its rows go
    // a chunk per turn of the event loop, so a large batch holds the loop no longer than a small one.
    batchSize: COPY_BATCH_ROWS,
    async resolutions(rows, batchId) {
      if (rows.length === 0) return
      await inBatchTransaction(pool, batchId, 'resolutions', async (client) => {
        const kept = await ofExistingImages(client, rows)
        if (kept.length > 0) await copyRows(client, `copy resolutions (${RESOLUTION_COLUMNS}) from stdin`, kept, resolutionLine, chunkRows)
      })
    },
    async grants(rows, batchId) {
      if (rows.length === 0) return
      await inBatchTransaction(pool, batchId, 'pull_secret_grants', (client) =>
        copyRows(client, `copy pull_secret_grants (${GRANT_COLUMNS}) from stdin`, rows, grantLine, chunkRows)
      )
    }
  }
}

async function inBatchTransaction(
  pool: pg.Pool,
  batchId: string,
  log: LogName,
  write: (client: pg.PoolClient) => Promise<void>
): Promise<void> {
  const client = await pool.connect()
  let failure: Error | undefined
  try {
    await client.query('begin')
    try {
      await client.query('insert into log_batches (id, log) values ($1, $2)', [batchId, log])
    } catch (err) {
      if (sqlstateOf(err) !== UNIQUE_VIOLATION) throw err
      await client.query('rollback')
      return
    }
    await write(client)
    await client.query('commit')
  } catch (err) {
    failure = err instanceof Error ? err : new Error(String(err))
    throw err
  } finally {
    client.release(failure)
  }
}

/**
 * The rows whose image still exists. The log has no foreign key to images (see the partitioning
 * migration): rows of an image deleted since they were buffered are left out, as the insert path's
 * join does. The rows themselves when every image exists, the usual case.
 */
async function ofExistingImages(client: pg.PoolClient, rows: readonly ResolutionRecord[]): Promise<readonly ResolutionRecord[]> {
  const ids = new Set<string>()
  for (const row of rows) ids.add(row.imageId)
  // The ids come back as they were sent (text), so they compare with the rows' whatever their case.
  const { rows: found } = await client.query<{ id: string }>(
    'select u.id from unnest($1::text[]) as u(id) where exists (select from images i where i.id = u.id::uuid)',
    [[...ids]]
  )
  if (found.length === ids.size) return rows
  const existing = new Set(found.map((r) => r.id))
  return rows.filter((row) => existing.has(row.imageId))
}

/**
 * Streams rows as COPY text, one string of `chunkRows` lines per write, giving the event loop a turn
 * between writes and waiting for the socket when it is full (pipeline does).
 */
export async function copyRows<T>(
  client: pg.PoolClient,
  statement: string,
  rows: readonly T[],
  line: (row: T) => string,
  chunkRows: number
): Promise<void> {
  const stream = client.query(copyFrom(statement))
  await pipeline(async function* chunks() {
    for (let start = 0; start < rows.length; start += chunkRows) {
      if (start > 0) await nextTurn()
      yield copyChunk(rows, start, Math.min(rows.length, start + chunkRows), line)
    }
  }, stream)
}
