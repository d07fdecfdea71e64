import t from 'tap'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { resolversQuery, type ResolverFilter } from '../../src/resolution-log/impact.repository.js'
import { insertResolutions, type ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { insertImage } from '../resolve/fixtures.js'

interface PlanNode {
  'Node Type': string
  'Relation Name'?: string
  'Index Name'?: string
  Plans?: PlanNode[]
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)]

// The log's real size is millions of rows; a few thousand spread over images, specs and months are
// enough for the planner to weigh the indexes against reading the table, once ANALYZE has counted them.
t.test('the impact queries read the resolution log through its indexes, never the whole table', async (t) => {
  const { app } = await build(t)
  const images = await Promise.all(Array.from({ length: 10 }, (_, i) => insertImage(app.db, `img-${i}`, { visibilityPublic: true })))
  const specs = ['1.latest', '1.*', '1.5.latest', '1.5.*', 'latest', '1.4.latest', '2.latest', '1.4.2', '1.4.3', '0.latest']
  const now = Date.now()
  const rows: ResolutionRecord[] = []
  for (let i = 0; i < 6000; i++) {
    const at = new Date(now - (i % 120) * 86_400_000 - i * 1000)
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
  for (let i = 0; i < rows.length; i += 500) await insertResolutions(app.db, randomUUID(), rows.slice(i, i + 500))
  await sql`analyze resolutions`.execute(app.db)

  const plan = async (filter: ResolverFilter) => {
    const result = await sql<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>`explain (format json) ${resolversQuery(filter)}`.execute(app.db)
    const document = Object.values(result.rows[0]!)[0] as Array<{ Plan: PlanNode }>
    // A bitmap heap scan names the table; the index scans under it name the indexes.
    return nodesOf(document[0]!.Plan)
      .filter((n) => n['Relation Name'] === 'resolutions')
      .flatMap((n) => (n['Node Type'] === 'Bitmap Heap Scan' ? nodesOf(n) : [n]))
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
    const shown = scans.map((n) => `${n['Node Type']} ${n['Index Name'] ?? ''}`).join(', ')
    t.ok(scans.length >= 2, `${name}: the matching rows and the version each got last are read from resolutions`)
    t.same(
      scans.filter((n) => n['Node Type'] === 'Seq Scan'),
      [],
      `${name}: no sequential scan of resolutions (${shown})`
    )
    t.ok(
      scans.some((n) => indexes.includes(n['Index Name'] ?? '') && /^(Index Only Scan|Index Scan|Bitmap Index Scan)$/.test(n['Node Type'])),
      `${name}: served by ${indexes.join(' or ')} (${shown})`
    )
  }
})
