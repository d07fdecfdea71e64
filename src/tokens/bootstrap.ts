import { sql } from 'kysely'
import type { Database } from '../db/database.js'
import { displayPrefix, generateToken, hashToken } from './token-secret.js'
import { countTokens, insertToken } from './tokens.repository.js'

export type BootstrapResult = { kind: 'configured' } | { kind: 'generated'; token: string } | { kind: 'none' }

const ADMIN = { name: 'admin', scopes: ['admin'], projects: null, bootstrap: true, createdBy: 'bootstrap' }

/**
 * ADMIN_TOKEN installs a known admin token (replacing an earlier configured one). Without it, the
 * first start on an empty database creates one and hands it back to be printed, exactly once:
 * the advisory lock makes replicas that start together agree on a single token.
 */
export async function ensureAdminToken(db: Database, configured: string | undefined): Promise<BootstrapResult> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('ci-image-store:bootstrap-admin'))`.execute(trx)
    if (configured) {
      const hash = hashToken(configured)
      await trx
        .updateTable('apiTokens')
        .set({ revokedAt: new Date() })
        .where('bootstrap', '=', true)
        .where('createdBy', '=', 'ADMIN_TOKEN')
        .where('tokenHash', '<>', hash)
        .where('revokedAt', 'is', null)
        .execute()
      const existing = await trx.selectFrom('apiTokens').select('id').where('tokenHash', '=', hash).executeTakeFirst()
      if (!existing) await insertToken(trx, { ...ADMIN, createdBy: 'ADMIN_TOKEN', tokenHash: hash, tokenPrefix: displayPrefix(configured) })
      return { kind: 'configured' }
    }
    if ((await countTokens(trx)) > 0) return { kind: 'none' }
    const token = generateToken()
    await insertToken(trx, { ...ADMIN, tokenHash: hashToken(token), tokenPrefix: displayPrefix(token) })
    return { kind: 'generated', token }
  })
}

export function announceAdminToken(token: string, write: (text: string) => void = (t) => process.stdout.write(t)): void {
  const line = '='.repeat(72)
  write(
    `\n${line}\n  ci-image-store: an admin token was created for this new database.\n` +
      `  It is shown this once and stored only as a hash. Keep it safe:\n\n    ${token}\n\n` +
      `  Try: curl -H "Authorization: Bearer ${token}" http://HOST:PORT/v1/whoami\n${line}\n\n`
  )
}
