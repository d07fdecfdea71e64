import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { resolversQuery, type ResolverFilter } from '../../src/resolution-log/impact.repository.js'
import type { ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { insertLogRows } from '../helpers/log-rows.js'
import { dayPartition } from '../../src/resolution-log/log-partitions.js'
import { indexClosedDays } from '../../src/resolution-log/log-partitions.repository.js'
import { insertImage } from '../resolve/fixtures.js'

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  Plans?: PlanNode[]
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)]

// The log's real size is millions of rows, one partition a day. Some thousands of rows a day over
// three days of the window are enough for the planner to weigh the indexes against reading a day
// whole, once ANALYZE has counted them; older days, outside the window, must not be read at all.
t.test('the impact queries read the resolution log through its indexes, only the days of the window', async (t) => {
  const { app } = await build(t)
  const images = await Promise.all(Array.from({ length: 10 }, (_, i) => insertImage(app.db, `img-${i}`, { visibilityPublic: true })))
  const specs = ['1.latest', '1.*', '1.5.latest', '1.5.*', 'latest', '1.4.latest', '2.latest', '1.4.2', '1.4.3', '0.latest']
  const now = Date.now()
  const rows: ResolutionRecord[] = []
  for (let i = 0; i < 15_000; i++) {
    // Four rows in five in the last three days; the others from 40 to 120 days back.
    const daysBack = i % 5 === 4 ? 40 + (i % 80) : i % 3
    const at = new Date(now - daysBack * 86_400_000 - (i % 1000) * 1000)
    const spec = specs[i % specs.length]!
    rows.push({
      imageId: images[i % images.length]!.id,
      spec,
      version: ['1.4.2', '1.4.3', '2.0.0'][i % 3]!,
      status: 'released',
      digest: 'sha256:x',
      project: `project-${i % 40}`,
      pipeline: i % 7 === 0 ? null : `pipeline-${i % 25}`,
      build: `b-${i}`,
      tokenId: null,
      count: 1 + (i % 5),
      firstResolvedAt: at,
      resolvedAt: at
    })
  }
  await insertLogRows(app.db, rows)
  // The closed days get their indexes as the service's maintenance gives them.
  await indexClosedDays(app.db, new Date(), Number.POSITIVE_INFINITY)
  await sql`analyze resolutions`.execute(app.db)

  // Scans name the partitions (resolutions_p20261201) and their own indexes: each leads back to
  // the index of the whole table it was made from, or is one of a closed day's (named after it).
  const { rows: inherited } = await sql<{ child: string; parent: string }>`
    select c.relname as child, p.relname as parent from pg_inherits i
    join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
    where p.relname like 'resolutions%' and c.relkind = 'i'`.execute(app.db)
  const parentIndex = new Map(inherited.map((r) => [r.child, r.parent]))
  // Reading a day with no rows whole is the cheapest way to read it (the days ahead, the gaps).
  const { rows: days } = await sql<{ name: string; rows: number }>`
    select relname as name, reltuples as rows from pg_class where relname ~ '^resolutions_p[0-9]{8}$'`.execute(app.db)
  const empty = new Set(days.filter((d) => d.rows <= 0).map((d) => d.name))
  const plan = async (filter: ResolverFilter) => {
    const result = await sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>`explain (format json) ${resolversQuery(filter)}`.execute(app.db)
    const document = Object.values(result.rows[0]!)[0] as Array<{ Plan: PlanNode }>
    // A bitmap heap scan names the table; the index scans under it name the indexes.
    return nodesOf(document[0]!.Plan)
      .filter((n) => /^resolutions_p\d{8}$/.test(n['Relation Name'] ?? ''))
      .flatMap((n) => (n['Node Type'] === 'Bitmap Heap Scan' ? nodesOf(n) : [n]))
      .map((n) => ({
        ...n,
        'Index Name': parentIndex.get(n['Index Name'] ?? '') ?? n['Index Name']?.replace(/^resolutions_p\d{8}_/, 'resolutions_')
      }))
  }
  const base = { imageId: images[3]!.id, since: new Date(now - 30 * 86_400_000), limit: 500 }

  const cases: Array<{ name: string; filter: ResolverFilter; indexes: string[] }> = [
    {
      name: 'specs a release would move',
      filter: { ...base, match: { specs: ['1.latest', '1.*', '1.5.latest', '1.5.*'] }, projects: null },
      indexes: ['resolutions_image_spec_time_idx']
    },
    {
      name: 'specs, narrowed to a consumer',
      filter: { ...base, match: { specs: ['1.latest', '1.*'] }, projects: ['project-3'] },
      // One project's rows can be fewer than those of the specs: either index bounds the read.
      indexes: ['resolutions_image_spec_time_idx', 'resolutions_image_project_time_idx']
    },
    {
      name: 'a released version',
      filter: { ...base, match: { version: '1.4.2' }, projects: null },
      indexes: ['resolutions_image_version_time_idx']
    }
  ]
  for (const { name, filter, indexes } of cases) {
    const scans = await plan(filter)
    const days = scans.flatMap((n) => (n['Relation Name'] ? [n['Relation Name'].slice('resolutions_p'.length)] : [])).sort()
    const firstDay = dayPartition('resolutions', filter.since).name.slice('resolutions_p'.length)
    t.ok(days[0]! >= firstDay, `${name}: no day before the window is read (${days[0]} ≥ ${firstDay})`)
    const shown = scans.map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''}`).join(', ')
    t.ok(scans.length >= 2, `${name}: the matching rows and the version each got last are read from resolutions`)
    t.same(
      scans.filter((n) => n['Node Type'] === 'Seq Scan' && !empty.has(n['Relation Name'] ?? '')),
      [],
      `${name}: no sequential scan of a day that holds rows (${shown})`
    )
    t.ok(
      scans.some((n) => indexes.includes(n['Index Name'] ?? '') && /^(Index Only Scan|Index Scan|Bitmap Index Scan)$/.test(n['Node Type'])),
      `${name}: served by ${indexes.join(' or ')} (${shown})`
    )
  }
})
