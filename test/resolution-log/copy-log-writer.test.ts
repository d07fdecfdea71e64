import t from 'tap'
import pino from 'pino'
import pg from 'pg'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { BatchWriter } from '../../src/resolution-log/batch-writer.js'
import { copyLogWriter, copyRows } from '../../src/resolution-log/copy-log-writer.js'
import type { GrantRecord, ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { isMissingPartition, listPartitions } from '../../src/resolution-log/log-partitions.repository.js'
import { DAY_MS, dayPartition } from '../../src/resolution-log/log-partitions.js'
import { creatingPartitions, insertLogWriter, logWriterFor, type LogWriter } from '../../src/resolution-log/log-writer.js'
import { isDatabaseUnavailable } from '../../src/db/unavailable.js'
import { build } from '../helpers/app.js'
import { insertImage } from '../resolve/fixtures.js'

const silent = pino({ level: 'silent' })

const resolutionOf =
  (imageId: string) =>
  (build: string, at = new Date()): ResolutionRecord => ({
    imageId,
    spec: '1.latest',
    version: '1.0.0',
    status: 'released',
    digest: 'sha256:x',
    project: 'payments',
    pipeline: 'main',
    build,
    tokenId: null,
    count: 1,
    firstResolvedAt: at,
    resolvedAt: at
  })

const grantOf =
  (imageId: string) =>
  (build: string, at = new Date()): GrantRecord => ({
    credentialId: imageId,
    imageId,
    version: '1.0.0',
    project: 'payments',
    pipeline: null,
    build,
    tokenId: imageId,
    tokenName: 'engine',
    grantedAt: at
  })

const writers: Array<[string, (app: FastifyInstance) => LogWriter]> = [
  ['insert', (app) => insertLogWriter(app.db)],
  ['COPY', (app) => copyLogWriter(app.database.pool!)]
]

for (const [name, writerOf] of writers)
  t.test(`${name}: a batch with days that have no partition creates them and is written, once`, async (t) => {
    const { app } = await build(t)
    const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
    const [resolution, grant] = [resolutionOf(image.id), grantOf(image.id)]
    const now = Date.now()
    const ahead = new Date(now + 30 * DAY_MS)
    const behind = new Date(now - 200 * DAY_MS)
    const plain = writerOf(app)

    const refused = await plain.resolutions([resolution('ahead', ahead)], randomUUID()).then(
      () => undefined,
      (err: unknown) => err
    )
    t.ok(isMissingPartition(refused), 'without them the write fails for want of a partition')

    const writer = creatingPartitions(app.db, plain)
    const id = randomUUID()
    await writer.resolutions([resolution('today'), resolution('ahead', ahead), resolution('behind', behind)], id)
    await writer.resolutions([resolution('today'), resolution('ahead', ahead), resolution('behind', behind)], id)
    await writer.grants([grant('ahead', ahead), grant('behind', behind)], randomUUID())
    const builds = async (table: 'resolutions' | 'pullSecretGrants') =>
      (await app.db.selectFrom(table).select('build').orderBy('id').execute()).map((r) => r.build)
    t.same(await builds('resolutions'), ['today', 'ahead', 'behind'], 'every row landed, in order, once')
    t.same(await builds('pullSecretGrants'), ['ahead', 'behind'])
    for (const table of ['resolutions', 'pull_secret_grants'] as const) {
      const partitions = await listPartitions(app.db, table)
      for (const time of [ahead, behind]) t.ok(partitions.includes(dayPartition(table, time).name), `${table}: ${time.toISOString()}`)
    }
  })

t.test('the service writes with COPY on PostgreSQL, creating partitions as needed', async (t) => {
  const { app } = await build(t)
  const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
  const writer = logWriterFor(app.database)
  await writer.resolutions([resolutionOf(image.id)('old', new Date(Date.now() - 100 * DAY_MS))], randomUUID())
  t.same(await app.db.selectFrom('resolutions').select('build').execute(), [{ build: 'old' }])
  // The server says where it refused a row: in COPY's input, not in a statement's parameters.
  const refused = await writer.resolutions([resolutionOf(image.id)('\0')], randomUUID()).then(
    () => undefined,
    (err: unknown) => err
  )
  t.match(refused, { code: '22021', where: /^COPY resolutions, line 1/ })
})

t.test('COPY sends a batch in chunks, giving the event loop a turn between them', async (t) => {
  const { app } = await build(t)
  const client = await app.database.pool!.connect()
  t.teardown(() => client.release())
  await client.query('create temporary table lines (n integer, text text)')
  const rows = Array.from({ length: 1000 }, (_, n) => n)
  // Lines built since the event loop last had a turn.
  let built = 0
  let longestRun = 0
  let turns = 0
  let writing = true
  const tick = () => {
    turns++
    built = 0
    if (writing) setImmediate(tick)
  }
  setImmediate(tick)
  await copyRows(
    client,
    'copy lines (n, text) from stdin',
    rows,
    (n) => {
      built++
      longestRun = Math.max(longestRun, built)
      return `${n}\tline ${n}\n`
    },
    100
  )
  writing = false
  t.ok(longestRun <= 100, `no more than one chunk of lines per turn (longest run ${longestRun})`)
  // Ten chunks, nine pauses between them; a longest run of one chunk already shows no two chunks shared a turn.
  t.ok(turns >= 9, `a turn at least between every two chunks (${turns} turns)`)
  const { rows: read } = await client.query<{ count: number; sum: number }>('select count(*)::int as count, sum(n)::int as sum from lines')
  t.same(read, [{ count: 1000, sum: (999 * 1000) / 2 }], 'every line arrived')
})

t.test('COPY: a connection lost in the middle of a batch keeps the batch aside; written once when the database is back', async (t) => {
  const { app, databaseUrl } = await build(t)
  const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
  const resolution = resolutionOf(image.id)
  const copy = copyLogWriter(app.database.pool!)
  const attempts: string[] = []
  const writer = new BatchWriter<ResolutionRecord>({
    name: 'test',
    log: silent,
    flushIntervalMs: 60_000,
    write: (rows, id) => {
      attempts.push(id)
      return copy.resolutions(rows, id)
    }
  })
  // Another session holds the log table, so the COPY waits for it; then the COPY's server process
  // is terminated, as a server restart would.
  const blocker = new pg.Client({ connectionString: databaseUrl })
  await blocker.connect()
  t.teardown(() => blocker.end())
  await blocker.query('begin')
  await blocker.query('lock table resolutions in access exclusive mode')
  for (let i = 0; i < 300; i++) writer.push(resolution(`b${i}`))
  const flushed = writer.flush()
  let pid: number | undefined
  while (pid === undefined) {
    // Inside its transaction the blocker would see the first snapshot of pg_stat_activity forever.
    await blocker.query('select pg_stat_clear_snapshot()')
    const { rows } = await blocker.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike 'copy resolutions%'"
    )
    pid = rows[0]?.pid
    if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 10))
  }
  await blocker.query('select pg_terminate_backend($1)', [pid])
  await blocker.query('rollback')
  await flushed
  t.equal(writer.buffered, 300, 'the batch is kept')
  t.equal(writer.dropped, 0)
  await writer.flush()
  t.equal(attempts.length, 2)
  t.equal(attempts[1], attempts[0], 'written again under its id')
  const rows = await app.db.selectFrom('resolutions').select('build').orderBy('id').execute()
  t.same(
    rows.map((r) => r.build),
    Array.from({ length: 300 }, (_, i) => `b${i}`),
    'all of it, once, in order'
  )
  t.equal(writer.buffered, 0)
  await writer.close()
})

t.test('COPY: a batch the database refuses in the middle of COPY is dropped, and the next batch is written', async (t) => {
  const { app } = await build(t)
  const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
  const grant = grantOf(image.id)
  const copy = copyLogWriter(app.database.pool!, { chunkRows: 2 })
  let refusal: unknown
  const writer = new BatchWriter<GrantRecord>({
    name: 'test',
    log: silent,
    batchSize: 5,
    flushIntervalMs: 60_000,
    write: (rows, id) =>
      copy.grants(rows, id).catch((err: unknown) => {
        refusal ??= err
        throw err
      })
  })
  for (const build of ['a1', 'a2', 'a3\0', 'a4', 'a5', 'b1', 'b2']) writer.push(grant(build))
  await writer.flush()
  t.notOk(isDatabaseUnavailable(refusal), `refused, not an outage (${String(refusal)})`)
  t.equal(writer.dropped, 5, 'the refused batch is dropped and counted')
  t.equal(writer.buffered, 0)
  t.same(await app.db.selectFrom('pullSecretGrants').select('build').orderBy('id').execute(), [{ build: 'b1' }, { build: 'b2' }])
  const batches = await app.db.selectFrom('logBatches').select('log').execute()
  t.equal(batches.length, 1, "the refused batch's id went with its transaction")
  await writer.close()
})
