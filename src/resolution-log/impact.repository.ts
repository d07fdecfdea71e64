import { sql, type RawBuilder } from 'kysely'
import type { Db } from '../db/schema.js'
import type { ImpactVersion } from './impact-rules.js'
import { CLOCK_SKEW_MS } from './usage-rollup.js'

/** Every version of the image, as the impact rules weigh them. */
export async function findImpactVersions(db: Db, imageId: string): Promise<ImpactVersion[]> {
  const rows = await db
    .selectFrom('imageVersions')
    .select(['major', 'minor', 'patch', 'status', 'digest', 'unavailableSince'])
    .where('imageId', '=', imageId)
    .execute()
  return rows.map(({ unavailableSince, ...v }) => ({ ...v, unavailable: unavailableSince !== null }))
}

/** Whose resolutions count: of these specs (on release), or that got this version (in use). */
export type ResolverMatch = { specs: string[] } | { version: string }

export interface ResolverFilter {
  imageId: string
  match: ResolverMatch
  since: Date
  /** null = every project */
  projects: string[] | null
  limit: number
}

export interface Resolver {
  project: string
  pipeline: string | null
  specs: string[]
  resolutions: number
  lastResolvedAt: Date
  currentVersion: string
}

export interface Resolvers {
  rows: Resolver[]
  totals: { projects: number; pipelines: number; resolutions: number }
  truncated: boolean
}

interface ResolverRow {
  project: string | null
  pipeline: string | null
  specs: string[] | null
  resolutions: string | null
  lastResolvedAt: Date | null
  currentVersion: string | null
  totalProjects: string
  totalPipelines: string
  totalResolutions: string
  groups: string
}

/**
 * One statement, bounded by time and served by indexes: the matching log rows are read from
 * resolutions_image_spec_time_idx (specs: index only, project, pipeline and count are included) or
 * resolutions_image_version_time_idx (a version), folded per project and pipeline; then, for the
 * rows returned only, the version each got last comes from resolutions_image_project_time_idx,
 * starting at its last matching resolution (in use: later ones show whether it moved on since).
 * The totals row comes back even when nobody matched.
 */
export function resolversQuery(filter: ResolverFilter): RawBuilder<ResolverRow> {
  const { imageId, match, since, projects, limit } = filter
  // Bounded above too, so the days created ahead are not planned.
  const until = new Date(Date.now() + CLOCK_SKEW_MS).toISOString()
  const matching = 'specs' in match ? sql`spec = any(${match.specs}::text[])` : sql`version = ${match.version}`
  const ofProjects = projects ? sql`and project = any(${projects}::text[])` : sql``
  return sql<ResolverRow>`
    with groups as (
      select project, pipeline, array_agg(distinct spec order by spec) as specs, sum(count) as resolutions, max(resolved_at) as last_resolved_at
      from resolutions
      where image_id = ${imageId}::uuid and ${matching} and resolved_at >= ${since.toISOString()}::timestamptz ${ofProjects}
        and resolved_at < ${until}::timestamptz
      group by project, pipeline
    ), top as (
      select * from groups order by resolutions desc, last_resolved_at desc, project, pipeline nulls first limit ${limit}
    ), totals as (
      select count(distinct project) as total_projects, count(pipeline) as total_pipelines,
             coalesce(sum(resolutions), 0) as total_resolutions, count(*) as groups
      from groups
    )
    select top.project, top.pipeline, top.specs, top.resolutions, top.last_resolved_at, cur.version as current_version, totals.*
    from totals
    left join top on true
    left join lateral (
      select r.version from resolutions r
      where r.image_id = ${imageId}::uuid and r.project = top.project and r.resolved_at >= top.last_resolved_at
        -- Implied by the line above (top is within the window); spelled out so only the window's days are planned.
        and r.resolved_at >= ${since.toISOString()}::timestamptz
        and r.pipeline is not distinct from top.pipeline and r.spec = any(top.specs)
      order by r.resolved_at desc, r.id desc
      limit 1
    ) cur on true
    order by top.resolutions desc, top.last_resolved_at desc, top.project, top.pipeline nulls first`
}

/** The projects and pipelines whose resolutions match, most resolutions first, with totals over all of them. */
export async function findResolvers(db: Db, filter: ResolverFilter): Promise<Resolvers> {
  if (filter.projects?.length === 0 || ('specs' in filter.match && filter.match.specs.length === 0))
    return { rows: [], totals: { projects: 0, pipelines: 0, resolutions: 0 }, truncated: false }
  // Its cost estimate at the log's size passes jit_above_cost, and compiling the plan took longer
  // than running it (docs/benchmarks.md): an answer in milliseconds does not gain from JIT.
  const { rows } = await db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx)
    return resolversQuery(filter).execute(trx)
  })
  const first = rows[0]
  const rowsOut: Resolver[] = []
  for (const r of rows) {
    if (r.project === null || r.lastResolvedAt === null) continue
    rowsOut.push({
      project: r.project,
      pipeline: r.pipeline,
      specs: r.specs ?? [],
      resolutions: Number(r.resolutions),
      lastResolvedAt: new Date(r.lastResolvedAt),
      // A matching row exists at last_resolved_at, so the lateral always finds one.
      currentVersion: r.currentVersion ?? ''
    })
  }
  return {
    rows: rowsOut,
    totals: {
      projects: Number(first?.totalProjects ?? 0),
      pipelines: Number(first?.totalPipelines ?? 0),
      resolutions: Number(first?.totalResolutions ?? 0)
    },
    truncated: Number(first?.groups ?? 0) > filter.limit
  }
}
