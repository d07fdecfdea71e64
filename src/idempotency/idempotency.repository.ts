import { sql, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'

/** Keys are per token and per scope (e.g. one image's submissions). */
export interface IdempotencyScope {
  tokenId: string
  scope: string
  key: string
}

export interface StoredResponse {
  status: number
  headers: Record<string, string>
  body: unknown
}

export interface IdempotencyRecord extends StoredResponse {
  requestHash: string
  createdAt: Date
}

const olderThan = (ms: number) => sql<Date>`now() - ${ms} * interval '1 millisecond'`

/** The stored answer for a key, unless it is older than `ttlMs` (then the key is free again). */
export async function findIdempotencyRecord(db: Db, at: IdempotencyScope, ttlMs: number): Promise<IdempotencyRecord | undefined> {
  const row = await db
    .selectFrom('idempotencyKeys')
    .select(['requestHash', 'responseStatus', 'responseHeaders', 'responseBody', 'createdAt'])
    .where('tokenId', '=', at.tokenId)
    .where('scope', '=', at.scope)
    .where('key', '=', at.key)
    .where('createdAt', '>', olderThan(ttlMs))
    .executeTakeFirst()
  if (!row) return undefined
  return {
    requestHash: row.requestHash,
    status: row.responseStatus,
    headers: row.responseHeaders,
    body: row.responseBody,
    createdAt: row.createdAt
  }
}

/**
 * Stores the answer in the caller's transaction, so the key exists exactly when the change does.
 * A concurrent request with the same key fails on the primary key and replays this answer.
 */
export async function saveIdempotencyRecord(
  trx: Transaction<DB>,
  at: IdempotencyScope,
  requestHash: string,
  response: StoredResponse,
  ttlMs: number
): Promise<void> {
  await trx
    .deleteFrom('idempotencyKeys')
    .where('tokenId', '=', at.tokenId)
    .where('scope', '=', at.scope)
    .where('key', '=', at.key)
    .where('createdAt', '<=', olderThan(ttlMs))
    .execute()
  await trx
    .insertInto('idempotencyKeys')
    .values({
      ...at,
      requestHash,
      responseStatus: response.status,
      responseHeaders: JSON.stringify(response.headers),
      responseBody: JSON.stringify(response.body)
    })
    .execute()
}

export async function pruneIdempotencyRecords(db: Db, ttlMs: number): Promise<number> {
  const result = await db.deleteFrom('idempotencyKeys').where('createdAt', '<=', olderThan(ttlMs)).executeTakeFirst()
  return Number(result.numDeletedRows)
}
