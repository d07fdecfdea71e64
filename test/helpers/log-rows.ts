// Resolution-log rows written straight to the table, at any time: their days' partitions are made
// first (the service only makes today's and the coming week's ahead).
import { randomUUID } from 'node:crypto'
import type { Db } from '../../src/db/schema.js'
import { insertResolutions, type ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { ensurePartitionsFor } from '../../src/resolution-log/log-partitions.repository.js'

export async function insertLogRows(db: Db, rows: readonly ResolutionRecord[]): Promise<void> {
  await ensurePartitionsFor(
    db,
    'resolutions',
    rows.map((r) => r.resolvedAt)
  )
  for (let i = 0; i < rows.length; i += 500) await insertResolutions(db, randomUUID(), rows.slice(i, i + 500))
}
