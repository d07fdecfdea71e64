import { sql } from 'kysely'
import type { Db } from '../db/schema.js'
import type { PullSecretGrantRow } from './pull-secret-grants.table.js'
import type { ResolutionRow } from './resolutions.table.js'

/** A row as the batch writer holds it before the database numbers it. */
export type ResolutionRecord = Omit<ResolutionRow, 'id'>

/** A grant as the batch writer holds it before the database numbers it. */
export type GrantRecord = Omit<PullSecretGrantRow, 'id'>

/**
 * Appends a batch in one statement: the embedded PGlite database's path (PostgreSQL's is COPY, see
 * copy-log-writer.ts). Arrays + unnest keep the statement small whatever the batch
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

/** Appends a batch of pull-secret grants in one statement, once per batch id (see insertResolutions). */
export async function insertGrants(db: Db, batchId: string, rows: readonly GrantRecord[]): Promise<void> {
  if (rows.length === 0) return
  const column = <K extends keyof GrantRecord>(key: K) => rows.map((r) => r[key])
  await sql`
    with batch as (insert into log_batches (id, log) values (${batchId}::uuid, 'pull_secret_grants') on conflict (id) do nothing returning id)
    insert into pull_secret_grants (credential_id, image_id, version, project, pipeline, build, token_id, token_name, granted_at)
    select * from unnest(${column('credentialId')}::uuid[], ${column('imageId')}::uuid[], ${column('version')}::text[], ${column('project')}::text[],
                         ${column('pipeline')}::text[], ${column('build')}::text[], ${column('tokenId')}::uuid[], ${column('tokenName')}::text[],
                         ${rows.map((r) => r.grantedAt.toISOString())}::timestamptz[])
    where exists (select from batch)`.execute(db)
}
