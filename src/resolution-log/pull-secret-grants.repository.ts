import { sql } from 'kysely'
import type { Db } from '../db/schema.js'
import { deleteOlderThan } from './delete-older-than.js'
import type { PullSecretGrantRow } from './pull-secret-grants.table.js'

/** A grant as the batch writer holds it before the database numbers it. */
export type GrantRecord = Omit<PullSecretGrantRow, 'id'>

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

export const pruneGrants = (db: Db, olderThan: Date): Promise<number> => deleteOlderThan(db, 'pull_secret_grants', 'granted_at', olderThan)
