// The log's days on a real PostgreSQL: made a week ahead at start, dropped whole past the retention,
// one replica at a time, and a drop that would queue readers and writers behind it gives up instead.
import t from 'tap'
import pg from 'pg'
import { build } from '../helpers/app.js'
import { insertLogRows } from '../helpers/log-rows.js'
import { insertImage } from '../resolve/fixtures.js'
import { CLOSED_DAY_INDEXES, DAY_MS, PARTITIONS_AHEAD_DAYS, dayIndexName, dayPartition } from '../../src/resolution-log/log-partitions.js'
import {
  ensurePartitionsFor,
  indexClosedDays,
  listPartitions,
  maintainLogPartitions
} from '../../src/resolution-log/log-partitions.repository.js'
import { maintainLog } from '../../src/resolution-log/retention.js'
import type { ResolutionRecord } from '../../src/resolution-log/log-inserts.js'

t.test('partitions of the resolution log and the grants', async (t) => {
  const { app, databaseUrl } = await build(t)
  const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
  const retention = app.config.RESOLUTION_RETENTION_DAYS
  const row = (build: string, at: Date): ResolutionRecord => ({
    imageId: image.id,
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
  const builds = async () => (await app.db.selectFrom('resolutions').select('build').orderBy('build').execute()).map((r) => r.build)
  const other = new pg.Client({ connectionString: databaseUrl })
  await other.connect()
  t.teardown(() => other.end())

  await t.test('the service started with today and the coming week made, for both tables', async (t) => {
    for (const table of ['resolutions', 'pull_secret_grants'] as const) {
      const existing = await listPartitions(app.db, table)
      for (let day = 0; day <= PARTITIONS_AHEAD_DAYS; day++)
        t.ok(existing.includes(dayPartition(table, new Date(Date.now() + day * DAY_MS)).name), `${table}, today + ${day}`)
    }
  })

  await t.test('a coming day that is missing is made again', async (t) => {
    const tomorrow = dayPartition('resolutions', new Date(Date.now() + DAY_MS)).name
    await other.query(`drop table ${tomorrow}`)
    t.same((await maintainLog(app)).created, [tomorrow])
  })

  await t.test('days past the retention are dropped whole; the rows of the others stay', async (t) => {
    const old = new Date(Date.now() - (retention + 2) * DAY_MS)
    const kept = new Date(Date.now() - (retention - 1) * DAY_MS)
    await insertLogRows(app.db, [row('old-1', old), row('old-2', old), row('kept', kept), row('today', new Date())])
    t.same(await builds(), ['kept', 'old-1', 'old-2', 'today'])
    const done = await maintainLog(app)
    t.same(done.dropped, [dayPartition('resolutions', old).name])
    t.same(await builds(), ['kept', 'today'])
    t.notOk((await listPartitions(app.db, 'resolutions')).includes(dayPartition('resolutions', old).name))
  })

  await t.test('a closed day gets the indexes of its reads; the day being written keeps one', async (t) => {
    const closed = dayPartition('resolutions', new Date(Date.now() - 2 * DAY_MS))
    await insertLogRows(app.db, [row('two-days-ago', closed.from)])
    const indexesOf = async (name: string) =>
      (await other.query<{ name: string }>('select indexname as name from pg_indexes where tablename = $1 order by 1', [name])).rows.map(
        (r) => r.name
      )
    t.equal((await indexesOf(closed.name)).length, 1, "made with the whole table's index only")
    const built = await indexClosedDays(app.db, new Date())
    t.same(built.filter((name) => name.startsWith(closed.name)).sort(), CLOSED_DAY_INDEXES.map((i) => dayIndexName(closed.name, i)).sort())
    t.equal((await indexesOf(closed.name)).length, 1 + CLOSED_DAY_INDEXES.length)
    t.equal((await indexesOf(dayPartition('resolutions', new Date()).name)).length, 1, 'today: one index')
    t.same(await indexClosedDays(app.db, new Date()), [], 'built once')
  })

  await t.test('while another replica maintains the log, this one leaves it alone', async (t) => {
    await other.query('begin')
    await other.query(`select pg_advisory_xact_lock(hashtext('ci-image-store:log-partitions'))`)
    t.equal(await maintainLogPartitions(app.db, new Date(), retention), undefined)
    await other.query('rollback')
    t.same(await maintainLogPartitions(app.db, new Date(), retention), { created: [], indexed: [], dropped: [] })
  })

  await t.test('a day still being read is not waited for long: the drop gives up and comes back later', async (t) => {
    const old = new Date(Date.now() - (retention + 5) * DAY_MS)
    const day = dayPartition('resolutions', old).name
    await insertLogRows(app.db, [row('read', old)])
    await other.query('begin')
    await other.query(`select count(*) from ${day}`)
    const started = Date.now()
    t.same(await maintainLogPartitions(app.db, new Date(), retention), { created: [], indexed: [], dropped: [] })
    t.ok(Date.now() - started < 5000, `gave up after ${Date.now() - started} ms`)
    t.ok((await listPartitions(app.db, 'resolutions')).includes(day))
    await other.query('commit')
    t.match(await maintainLogPartitions(app.db, new Date(), retention), { created: [], dropped: [day] })
  })

  await t.test('rows of a day nobody made yet get their partition from the writer side', async (t) => {
    const ahead = new Date(Date.now() + (PARTITIONS_AHEAD_DAYS + 3) * DAY_MS)
    await ensurePartitionsFor(app.db, 'resolutions', [ahead, ahead])
    await insertLogRows(app.db, [row('ahead', ahead)])
    t.ok((await builds()).includes('ahead'))
  })
})
