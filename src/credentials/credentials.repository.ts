import { sql, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import type { CredentialRow, CredentialUpdate, NewCredential } from './credentials.table.js'

/** Every column but the ciphertext: what routes work with, so the secret never travels further. */
const METADATA = [
  'id',
  'project',
  'name',
  'description',
  'username',
  'registries',
  'createdAt',
  'createdBy',
  'updatedAt',
  'secretRotatedAt',
  'secretKeyId'
] as const
export type CredentialMetadata = Omit<CredentialRow, 'secretCiphertext'>

export async function insertCredential(db: Db, credential: NewCredential): Promise<CredentialMetadata> {
  return db.insertInto('registryCredentials').values(credential).returning(METADATA).executeTakeFirstOrThrow()
}

export async function findCredential(db: Db, project: string, id: string): Promise<CredentialMetadata | undefined> {
  return db.selectFrom('registryCredentials').select(METADATA).where('project', '=', project).where('id', '=', id).executeTakeFirst()
}

/** With the ciphertext: only for decrypting (reveal, re-encryption). */
export async function findSealedCredential(db: Db, id: string): Promise<CredentialRow | undefined> {
  return db.selectFrom('registryCredentials').selectAll().where('id', '=', id).executeTakeFirst()
}

/** A project's credentials by name, keyset-paged on the (project, name) unique index. */
export async function listCredentials(db: Db, project: string, limit: number, afterName?: string): Promise<CredentialMetadata[]> {
  let query = db.selectFrom('registryCredentials').select(METADATA).where('project', '=', project).orderBy('name').limit(limit)
  if (afterName !== undefined) query = query.where('name', '>', afterName)
  return query.execute()
}

export async function updateCredential(
  db: Db,
  project: string,
  id: string,
  changes: CredentialUpdate
): Promise<CredentialMetadata | undefined> {
  return db
    .updateTable('registryCredentials')
    .set({ ...changes, updatedAt: sql<Date>`now()` })
    .where('project', '=', project)
    .where('id', '=', id)
    .returning(METADATA)
    .executeTakeFirst()
}

export async function deleteCredential(db: Db, project: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('registryCredentials').where('project', '=', project).where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

export interface CredentialBinding {
  project: string
  registries: string[]
}

/**
 * A credential's project and hosts, share-locked until the transaction ends: a version inserted
 * with it is checked against hosts that cannot change before it commits (PATCH takes the row lock).
 */
export async function lockCredentialBinding(trx: Transaction<DB>, id: string): Promise<CredentialBinding | undefined> {
  return trx.selectFrom('registryCredentials').select(['project', 'registries']).where('id', '=', id).forShare().executeTakeFirst()
}

/** The credential's row, locked for an update that depends on who uses it. */
export async function lockCredential(trx: Transaction<DB>, project: string, id: string): Promise<CredentialMetadata | undefined> {
  return trx
    .selectFrom('registryCredentials')
    .select(METADATA)
    .where('project', '=', project)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

/** Ids of credentials not sealed with `keyId`, after `afterId`, in id order (re-encryption batches). */
export async function listCredentialIdsNotUnderKey(db: Db, keyId: string, limit: number, afterId?: string): Promise<string[]> {
  let query = db.selectFrom('registryCredentials').select('id').where('secretKeyId', '<>', keyId).orderBy('id').limit(limit)
  if (afterId !== undefined) query = query.where('id', '>', afterId)
  return (await query.execute()).map((r) => r.id)
}

export async function lockSealedCredential(trx: Transaction<DB>, id: string): Promise<CredentialRow | undefined> {
  return trx.selectFrom('registryCredentials').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function replaceSealedSecret(trx: Transaction<DB>, id: string, ciphertext: Buffer, keyId: string): Promise<void> {
  await trx.updateTable('registryCredentials').set({ secretCiphertext: ciphertext, secretKeyId: keyId }).where('id', '=', id).execute()
}

/** Key ids in use, with how many credentials each seals (startup warns about keys it does not hold). */
export async function countCredentialsByKey(db: Db): Promise<{ keyId: string; count: number }[]> {
  const rows = await db
    .selectFrom('registryCredentials')
    .select(['secretKeyId', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('secretKeyId')
    .execute()
  return rows.map((r) => ({ keyId: r.secretKeyId, count: Number(r.count) }))
}
