// Usage read from the daily summary and the log together gives what the log alone gives, for
// windows that start mid-day or at midnight, before and after the summing; one replica sums a day.
import t from 'tap'
import pg from 'pg'
import { build } from '../helpers/app.js'
import { insertLogRows } from '../helpers/log-rows.js'
import { insertImage } from '../resolve/fixtures.js'
import { DAY_MS } from '../../src/resolution-log/log-partitions.js'
import type { ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { versionUsage } from '../../src/resolution-log/resolutions.repository.js'
import { rollUpClosedDays, rollUpDay, rolledUntil } from '../../src/resolution-log/usage-rollup.repository.js'

t.test('usage from the daily summary', async (t) => {
  const { app, databaseUrl } = await build(t)
  const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
  // Noon today (UTC): yesterday and the days before have closed.
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS
  const now = new Date(today + 12 * 3_600_000)
  const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000)
  const row = (version: string, project: string, count: number, time: Date): ResolutionRecord => ({
    imageId: image.id,
    spec: '1.latest',
    version,
    status: 'released',
    digest: 'sha256:x',
    project,
    pipeline: 'main',
    build: `${project}-${time.getTime()}`,
    tokenId: null,
    count,
    firstResolvedAt: time,
    resolvedAt: time
  })
  const rows: ResolutionRecord[] = []
  for (let hours = 1; hours <= 24 * 6; hours += 5) {
    rows.push(row('1.0.0', 'payments', 1 + (hours % 3), hoursAgo(hours)))
    if (hours % 2 === 0) rows.push(row('1.0.0', 'search', 2, hoursAgo(hours)))
    rows.push(row('1.1.0', 'payments', 1, hoursAgo(hours)))
  }
  await insertLogRows(app.db, rows)

  const windows = [1, 11, 12, 13, 36, 48, 100, 24 * 6 + 1]
  const usageOf = async (project: string[] | null) =>
    Promise.all(windows.map((hours) => versionUsage(app.db, image.id, '1.0.0', project, hoursAgo(hours), now)))
  const fromLog = await usageOf(null)
  const fromLogNarrowed = await usageOf(['search'])
  t.same(
    fromLog.at(-1)!.map((u) => u.project),
    ['payments', 'search']
  )
  // What the log alone says, summed by hand, for the widest window.
  const expected = (project: string) =>
    rows.filter((r) => r.version === '1.0.0' && r.project === project).reduce((sum, r) => sum + r.count, 0)
  t.same(
    fromLog.at(-1)!.map((u) => u.resolutions),
    [expected('payments'), expected('search')]
  )

  t.equal(await rolledUntil(app.db), undefined, 'nothing summed yet')
  const rolled = await rollUpClosedDays(app.db, now)
  t.ok(rolled >= 6, `${rolled} closed days summed`)
  t.same(await rolledUntil(app.db), new Date(today), 'every day before today')
  t.same(await usageOf(null), fromLog, 'the same usage, every window')
  t.same(await usageOf(['search']), fromLogNarrowed, 'narrowed to a project too')
  const summed = await app.db
    .selectFrom('resolutionUsageDays')
    .select(['day', 'project', 'resolutions'])
    .where('version', '=', '1.1.0')
    .execute()
  t.ok(summed.length >= 6 && summed.every((s) => s.project === 'payments'))

  t.ok(await rollUpDay(app.db, new Date(today - DAY_MS)), 'summing a day again')
  t.same(await usageOf(null), fromLog, 'changes nothing')
  t.equal(await rollUpClosedDays(app.db, now), 0, 'nothing left to sum until today closes')

  const other = new pg.Client({ connectionString: databaseUrl })
  await other.connect()
  t.teardown(() => other.end())
  await other.query('begin')
  await other.query(`select pg_advisory_xact_lock(hashtext('ci-image-store:usage-rollup'))`)
  t.equal(await rollUpDay(app.db, new Date(today - DAY_MS)), false, 'another replica is summing')
  await other.query('rollback')
})
