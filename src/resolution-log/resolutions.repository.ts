import { sql } from 'kysely'
import type { Db } from '../db/schema.js'
import type { ResolutionRow } from './resolutions.table.js'
import { rolledUntil } from './usage-rollup.repository.js'
import { CLOCK_SKEW_MS, usagePlan } from './usage-rollup.js'

export interface ResolutionFilter {
  imageId: string
  /** null = every project */
  projects: string[] | null
  version?: string
  since: Date
  /** Exclusive. */
  until?: Date
}

/**
 * Newest first, keyset-paged on (resolved_at, id); each filter has its own index. Bounded by time on
 * both sides (the cursor's time is an upper bound too), so only the partitions of those days are read.
 */
export async function listResolutions(
  db: Db,
  filter: ResolutionFilter,
  limit: number,
  after?: { resolvedAt: Date; id: number }
): Promise<ResolutionRow[]> {
  if (filter.projects?.length === 0) return []
  let query = db
    .selectFrom('resolutions')
    .selectAll()
    .where('imageId', '=', filter.imageId)
    .orderBy('resolvedAt', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
  if (filter.projects) query = query.where('project', 'in', filter.projects)
  if (filter.version) query = query.where('version', '=', filter.version)
  // Without until, still bounded above, so the days created ahead are not planned.
  query = query.where('resolvedAt', '>=', filter.since).where('resolvedAt', '<', filter.until ?? new Date(Date.now() + CLOCK_SKEW_MS))
  if (after) {
    query = query
      .where('resolvedAt', '<=', after.resolvedAt)
      .where((eb) => eb(eb.refTuple('resolvedAt', 'id'), '<', eb.tuple(after.resolvedAt, after.id)))
  }
  return query.execute()
}

export interface ProjectUsage {
  project: string
  resolutions: number
  lastResolvedAt: Date
}

/**
 * Projects that resolved one version since a time, most recent first: whole days from the daily
 * summary, the rest (the first day's part, the days not summed yet) from the log itself
 * (resolutions_image_version_time_idx on closed days). See usagePlan.
 */
export async function versionUsage(
  db: Db,
  imageId: string,
  version: string,
  projects: string[] | null,
  since: Date,
  now = new Date()
): Promise<ProjectUsage[]> {
  if (projects?.length === 0) return []
  const plan = usagePlan(since, await rolledUntil(db), now)
  const ofProjects = projects ? sql`and project = any(${projects}::text[])` : sql``
  const parts = plan.raw.map(
    (range) => sql`
      select project, count::bigint as resolutions, resolved_at as last_resolved_at from resolutions
      where image_id = ${imageId}::uuid and version = ${version} ${ofProjects}
        and resolved_at >= ${range.from.toISOString()}::timestamptz and resolved_at < ${range.to.toISOString()}::timestamptz`
  )
  if (plan.summed) {
    parts.push(sql`
      select project, resolutions, last_resolved_at from resolution_usage_days
      where image_id = ${imageId}::uuid and version = ${version} ${ofProjects}
        and day >= ${plan.summed.from.toISOString()}::timestamptz and day < ${plan.summed.to.toISOString()}::timestamptz`)
  }
  const { rows } = await sql<{ project: string; resolutions: number; lastResolvedAt: Date }>`
    select project, sum(resolutions) as resolutions, max(last_resolved_at) as last_resolved_at
    from (${sql.join(parts, sql` union all `)}) as usage
    group by project
    order by last_resolved_at desc, project`.execute(db)
  return rows.map((r) => ({ project: r.project, resolutions: Number(r.resolutions), lastResolvedAt: new Date(r.lastResolvedAt) }))
}

/**
 * Deletes an image's log. The table has no foreign key (see the migration), so call it in the
 * transaction that deletes the image: an image can only be deleted before any of its versions was
 * released, so its rows are the debug project's resolutions of testing versions.
 */
export async function deleteImageResolutions(db: Db, imageId: string): Promise<void> {
  await db.deleteFrom('resolutions').where('imageId', '=', imageId).execute()
}
