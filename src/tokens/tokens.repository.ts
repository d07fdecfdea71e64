import { sql } from 'kysely'
import type { Db } from '../db/schema.js'
import type { ApiTokenRow, NewApiToken } from './tokens.table.js'

export async function insertToken(db: Db, token: NewApiToken): Promise<ApiTokenRow> {
  return db.insertInto('apiTokens').values(token).returningAll().executeTakeFirstOrThrow()
}

export async function findTokenByHash(db: Db, tokenHash: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('apiTokens').selectAll().where('tokenHash', '=', tokenHash).executeTakeFirst()
}

export async function findTokenById(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return db.selectFrom('apiTokens').selectAll().where('id', '=', id).executeTakeFirst()
}

// created_at with its full microseconds, as text: a JavaScript Date would round it to milliseconds
// and a page boundary could then skip tokens created within the same millisecond.
const createdKey = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/** Newest first, keyset-paged on (created_at, id); `createdKey` is the exact position for the cursor. */
export async function listTokens(
  db: Db,
  limit: number,
  after?: { createdKey: string; id: string }
): Promise<(ApiTokenRow & { createdKey: string })[]> {
  let query = db
    .selectFrom('apiTokens')
    .selectAll()
    .select(createdKey.as('createdKey'))
    .orderBy('createdAt', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
  if (after) {
    const at = sql<Date>`${after.createdKey}::timestamptz`
    query = query.where((eb) => eb.or([eb('createdAt', '<', at), eb.and([eb('createdAt', '=', at), eb('id', '<', after.id)])]))
  }
  return query.execute()
}

/** Every replica drops a token from its verifier cache when this channel names its id. */
export const TOKEN_REVOKED_CHANNEL = 'token_revoked'

/** Marks the token revoked; pass a transaction and notify TOKEN_REVOKED_CHANNEL in it (see tokens.service.ts). */
export async function revokeToken(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return db
    .updateTable('apiTokens')
    .set((eb) => ({ revokedAt: eb.fn.coalesce('revokedAt', eb.fn<Date>('now')) }))
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()
}

/** Which of these tokens are revoked (a replica checking its cache after missing notifications). */
export async function findRevokedAmong(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await db.selectFrom('apiTokens').select('id').where('id', 'in', ids).where('revokedAt', 'is not', null).execute()
  return rows.map((row) => row.id)
}

export async function touchToken(db: Db, id: string, at: Date): Promise<void> {
  await db.updateTable('apiTokens').set({ lastUsedAt: at }).where('id', '=', id).execute()
}

export async function countTokens(db: Db): Promise<number> {
  const row = await db
    .selectFrom('apiTokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
