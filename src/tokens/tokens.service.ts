import type { Database } from '../db/database.js'
import { displayPrefix, generateToken, hashToken } from './token-secret.js'
import { unprocessable } from '../http/problem.js'
import { requestTimestamp } from '../http/request-timestamp.js'
import type { Scope } from '../auth/scopes.js'
import { notify } from '../db/notifications.plugin.js'
import { insertToken, revokeToken, TOKEN_REVOKED_CHANNEL } from './tokens.repository.js'
import type { ApiTokenRow } from './tokens.table.js'
import type { CreateTokenBody, Token } from './tokens.schemas.js'

export function toToken(row: ApiTokenRow): Token {
  return {
    id: row.id,
    name: row.name,
    prefix: row.tokenPrefix,
    scopes: row.scopes as Scope[],
    projects: row.projects,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null
  }
}

export async function createToken(db: Database, body: CreateTokenBody, createdBy: string): Promise<Token & { token: string }> {
  const expiresAt = body.expiresAt ? requestTimestamp(body.expiresAt, 'expiresAt') : null
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    throw unprocessable('EXPIRY_IN_PAST', `expiresAt ${body.expiresAt} is in the past; give a future time or omit it for no expiry.`)
  }
  const token = generateToken()
  const row = await insertToken(db, {
    name: body.name,
    scopes: body.scopes,
    projects: body.projects ?? null,
    expiresAt,
    createdBy,
    tokenHash: hashToken(token),
    tokenPrefix: displayPrefix(token)
  })
  return { ...toToken(row), token }
}

/**
 * Revokes the token and, in the same transaction, tells every replica (this one included) to drop
 * it from its verifier cache: the notification goes out when the revocation commits, never for one
 * that rolled back. Revoking twice notifies again, harmlessly.
 */
export async function revokeTokenEverywhere(db: Database, id: string): Promise<ApiTokenRow | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await revokeToken(trx, id)
    if (row) await notify(trx, TOKEN_REVOKED_CHANNEL, row.id)
    return row
  })
}
