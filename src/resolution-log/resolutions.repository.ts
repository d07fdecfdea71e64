import { sql } from 'kysely'
import type { Db } from '../db/schema.js'
import type { ResolutionRow } from './resolutions.table.js'
import { deleteOlderThan } from './delete-older-than.js'

/** A row as the batch writer holds it before the database numbers it. */
export type ResolutionRecord = Omit<ResolutionRow, 'id'>

/**
 * Appends a batch in one statement. Arrays + unnest keep the statement small whatever the batch
 * size; the join drops rows of an image deleted since they were buffered (the table has no
 * foreign key, see the migration), and ids follow the order of resolution. The batch's id is
 * recorded by the same statement, and a batch already recorded adds no rows: a retry after a
 * commit whose acknowledgement was lost is a no-op.
 */
export async function insertResolutions(db: Db, batchId: string, rows: readonly ResolutionRecord[]): Promise<void> {
  if (rows.length === 0) return
  const column = <K extends keyof ResolutionRecord>(key: K) => rows.map((r) => r[key])
  await sql`
    with batch as (insert into log_batches (id, log) values (${batchId}::uuid, 'resolutions') on conflict (id) do nothing returning id)
    insert into resolutions (image_id, spec, version, status, digest, project, pipeline, build, token_id, count, first_resolved_at, resolved_at)
    select u.image_id, u.spec, u.version, u.status, u.digest, u.project, u.pipeline, u.build, u.token_id, u.count, u.first_resolved_at, u.resolved_at
    from unnest(${column('imageId')}::uuid[], ${column('spec')}::text[], ${column('version')}::text[], ${column('status')}::text[],
                ${column('digest')}::text[], ${column('project')}::text[], ${column('pipeline')}::text[], ${column('build')}::text[],
                ${column('tokenId')}::uuid[], ${column('count')}::int[], ${rows.map((r) => r.firstResolvedAt.toISOString())}::timestamptz[],
                ${rows.map((r) => r.resolvedAt.toISOString())}::timestamptz[]) with ordinality
      as u(image_id, spec, version, status, digest, project, pipeline, build, token_id, count, first_resolved_at, resolved_at, n)
    join images i on i.id = u.image_id
    where exists (select from batch)
    order by u.n`.execute(db)
}

export interface ResolutionFilter {
  imageId: string
  /** null = every project */
  projects: string[] | null
  version?: string
  since?: Date
}

/** Newest first, keyset-paged on (resolved_at, id); each filter has its own index. */
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
  if (filter.since) query = query.where('resolvedAt', '>=', filter.since)
  if (after) query = query.where((eb) => eb(eb.refTuple('resolvedAt', 'id'), '<', eb.tuple(after.resolvedAt, after.id)))
  return query.execute()
}

export interface ProjectUsage {
  project: string
  resolutions: number
  lastResolvedAt: Date
}

/** Projects that resolved one version, most recent first (resolutions_image_version_time_idx). */
export async function versionUsage(db: Db, imageId: string, version: string, projects: string[] | null): Promise<ProjectUsage[]> {
  if (projects?.length === 0) return []
  let query = db
    .selectFrom('resolutions')
    .select((eb) => ['project', eb.fn.sum<number>('count').as('resolutions'), eb.fn.max('resolvedAt').as('lastResolvedAt')])
    .where('imageId', '=', imageId)
    .where('version', '=', version)
    .groupBy('project')
    .orderBy('lastResolvedAt', 'desc')
    .orderBy('project')
  if (projects) query = query.where('project', 'in', projects)
  const rows = await query.execute()
  return rows.map((r) => ({ project: r.project, resolutions: Number(r.resolutions), lastResolvedAt: new Date(r.lastResolvedAt) }))
}

/** Deletes log rows older than the cutoff in bounded chunks; returns how many. */
export const pruneResolutions = (db: Db, olderThan: Date): Promise<number> => deleteOlderThan(db, 'resolutions', 'resolved_at', olderThan)

/**
 * Deletes an image's log. The table has no foreign key (see the migration), so call it in the
 * transaction that deletes the image: an image can only be deleted before any of its versions was
 * released, so its rows are the debug project's resolutions of testing versions.
 */
export async function deleteImageResolutions(db: Db, imageId: string): Promise<void> {
  await db.deleteFrom('resolutions').where('imageId', '=', imageId).execute()
}
