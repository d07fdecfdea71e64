import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../db/schema.js'

type Db = Kysely<DB> | Transaction<DB>

export interface GrantRecord {
  credentialId: string
  imageId: string
  version: string
  project: string
  pipeline: string | null
  build: string | null
  tokenId: string
  tokenName: string
  grantedAt: Date
}

/** Appends a batch of pull-secret grants in one statement. */
export async function insertGrants(db: Db, rows: readonly GrantRecord[]): Promise<void> {
  if (rows.length === 0) return
  const column = <K extends keyof GrantRecord>(key: K) => rows.map((r) => r[key])
  await sql`
    insert into pull_secret_grants (credential_id, image_id, version, project, pipeline, build, token_id, token_name, granted_at)
    select * from unnest(${column('credentialId')}::uuid[], ${column('imageId')}::uuid[], ${column('version')}::text[], ${column('project')}::text[],
                         ${column('pipeline')}::text[], ${column('build')}::text[], ${column('tokenId')}::uuid[], ${column('tokenName')}::text[],
                         ${rows.map((r) => r.grantedAt.toISOString())}::timestamptz[])`.execute(db)
}

/** The grants of one credential, newest first (pull_secret_grants_credential_idx). */
export async function listGrantsOfCredential(db: Db, credentialId: string, limit: number) {
  return db.selectFrom('pullSecretGrants').selectAll().where('credentialId', '=', credentialId).orderBy('grantedAt', 'desc').orderBy('id', 'desc').limit(limit).execute()
}

export async function pruneGrants(db: Db, olderThan: Date, chunk = 10_000): Promise<number> {
  let total = 0
  for (;;) {
    const result = await sql`
      delete from pull_secret_grants where id = any(array(select id from pull_secret_grants where granted_at < ${olderThan.toISOString()}::timestamptz limit ${chunk}))`.execute(db)
    const deleted = Number(result.numAffectedRows ?? 0)
    total += deleted
    if (deleted < chunk) return total
  }
}
