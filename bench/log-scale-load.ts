// Loads the synthetic log by COPY, a UTC day at a time, each day into a table of its own that is then
// attached as that day's partition, with the whole table's index built after the COPY (quicker
// than keeping it up row by row once a day holds a few hundred thousand rows). The indexes of the
// closed days are the service's own to build (indexClosedDays), timed apart by log-scale.ts.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import { dayPartition } from '../src/resolution-log/log-partitions.js'
import { LOG_COLUMNS, dayRows, daySlices, type DaySlice, type LogShape } from './log-scale-rows.js'

// Two days at once: one connection's COPY or index build keeps a core busy, and the rows are
// generated between them.
export const COPY_CONNECTIONS = 2

/** The parent's index definitions, unnamed, for one day's table (PostgreSQL names them). */
async function indexDefinitions(pool: pg.Pool): Promise<(table: string) => string[]> {
  const { rows } = await pool.query<{ definition: string }>(
    `select indexdef as definition from pg_indexes where schemaname = 'public' and tablename = 'resolutions'`
  )
  const definitions = rows.map((r) => /^CREATE INDEX \S+ ON ONLY public\.resolutions (.*)$/.exec(r.definition)?.[1])
  if (definitions.length === 0 || definitions.some((d) => d === undefined))
    throw new Error(`unexpected indexes on resolutions: ${rows.map((r) => r.definition).join('; ')}`)
  return (table) => definitions.map((d) => `create index on ${table} ${d}`)
}

async function loadDay(
  client: pg.PoolClient,
  shape: LogShape,
  slice: DaySlice,
  indexes: (table: string) => string[],
  hotVersions: number[]
): Promise<void> {
  const { name, from, to } = dayPartition('resolutions', new Date(slice.day))
  // Today's partition exists already (created by the service at start), empty.
  await client.query(`drop table if exists ${name}`)
  // Created in the COPY's transaction, so that COPY may freeze the rows: vacuum then has no hint
  // bits to set, and the pages are all-visible for index-only scans.
  await client.query('begin')
  await client.query(`create table ${name} (like resolutions including defaults including constraints)`)
  await pipeline(
    Readable.from(dayRows(shape, slice, hotVersions)),
    client.query(copyFrom(`copy ${name} (${LOG_COLUMNS}) from stdin with (freeze)`))
  )
  await client.query('commit')
  await client.query(`set maintenance_work_mem = '128MB'`)
  for (const index of indexes(name)) await client.query(index)
  // A check of the bounds spares ATTACH its scan of the rows; the partition constraint replaces it.
  const [lower, upper] = [from.toISOString(), to.toISOString()]
  await client.query(`alter table ${name} add constraint ${name}_bounds check (resolved_at >= '${lower}' and resolved_at < '${upper}')`)
  await client.query(`alter table resolutions attach partition ${name} for values from ('${lower}') to ('${upper}')`)
  await client.query(`alter table ${name} drop constraint ${name}_bounds`)
}

/** COPYs every day's rows, COPY_CONNECTIONS days at a time; returns the hot image's rows per version. */
export async function loadLog(databaseUrl: string, shape: LogShape): Promise<number[]> {
  const hotVersions: number[] = []
  const slices = daySlices(shape)
  const pool = new pg.Pool({ connectionString: databaseUrl, max: COPY_CONNECTIONS })
  try {
    const indexes = await indexDefinitions(pool)
    let next = 0
    const worker = async () => {
      for (let slice = slices[next++]; slice !== undefined; slice = slices[next++]) {
        const client = await pool.connect()
        try {
          await loadDay(client, shape, slice, indexes, hotVersions)
        } catch (err) {
          await client.query('rollback').catch(() => undefined)
          throw err
        } finally {
          client.release()
        }
      }
    }
    await Promise.all(Array.from({ length: COPY_CONNECTIONS }, worker))
    // Ids were given by the load; the service's next rows continue after them.
    await pool.query(`select setval('resolutions_id_seq', $1::bigint)`, [shape.rows])
  } finally {
    await pool.end()
  }
  return hotVersions
}
