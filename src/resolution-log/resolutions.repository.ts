import type { Db } from '../db/schema.js'
import type { ResolutionRow } from './resolutions.table.js'

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
  query = query.where('resolvedAt', '>=', filter.since)
  if (filter.until) query = query.where('resolvedAt', '<', filter.until)
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

/** Projects that resolved one version since a time, most recent first (resolutions_image_version_time_idx). */
export async function versionUsage(
  db: Db,
  imageId: string,
  version: string,
  projects: string[] | null,
  since: Date
): Promise<ProjectUsage[]> {
  if (projects?.length === 0) return []
  let query = db
    .selectFrom('resolutions')
    .select((eb) => ['project', eb.fn.sum<number>('count').as('resolutions'), eb.fn.max('resolvedAt').as('lastResolvedAt')])
    .where('imageId', '=', imageId)
    .where('version', '=', version)
    .where('resolvedAt', '>=', since)
    .groupBy('project')
    .orderBy('lastResolvedAt', 'desc')
    .orderBy('project')
  if (projects) query = query.where('project', 'in', projects)
  const rows = await query.execute()
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
