import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../db/schema.js'
import type { ApiTokenRow, NewApiToken } from './tokens.table.js'

type Db = Kysely<DB> | Transaction<DB>

export async function insertToken(db: Db, token: NewApiToken): Promise<ApiTokenRow> {
  return db.insertInto('apiTokens').values(token).returningAll().executeTakeFirstOrThrow()
}

export async function findTokenByHash(db: Db, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('apiTokens').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst()
}

export async function findTokenById(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('apiTokens').selectAll().where('id', '=', id).executeTakeFirst()
}

/** Newest first, keyset-paged on (created_at, id). */
export async function listTokens(db: Db, limit: number, after?: { createdAt: Date; id: string }): Promise<ApiTokenRow[]> {
  let query = db.selectFrom('apiTokens').selectAll().orderBy('createdAt', 'desc').orderBy('id', 'desc').limit(limit)
  if (after) {
    query = query.where((eb) =>
      eb.or([eb('createdAt', '<', after.createdAt), eb.and([eb('createdAt', '=', after.createdAt), eb('id', '<', after.id)])])
    )
  }
  return query.execute()
}

export async function revokeToken(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return db
    .updateTable('apiTokens')
    .set((eb) => ({ revokedAt: eb.fn.coalesce('revokedAt', eb.fn<Date>('now')) }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}

export async function touchToken(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('apiTokens').set({ lastUsedAt: at }).where('id', '=', id).execute()
}

export async function countTokens(db: Db): Promise<number> {
  const row = await db.selectFrom('apiTokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}
