import t, { type Test } from 'tap'
import pg from 'pg'
import { openDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrator.js'
import { announceAdminToken, ensureAdminToken } from '../../src/tokens/bootstrap.js'
import { hashToken } from '../../src/tokens/token-secret.js'
import { freshDatabaseUrl } from '../helpers/database.js'

async function migrated(t: Test) {
  const handle = openDatabase({ databaseUrl: await freshDatabaseUrl(t), dataDir: '.', poolMax: 10 })
  t.teardown(() => handle.close())
  await migrateToLatest(handle.db)
  return handle.db
}

t.test('first start on an empty database generates exactly one admin token, even with racing replicas', async (t) => {
  const db = await migrated(t)
  const results = await Promise.all(Array.from({ length: 5 }, () => ensureAdminToken(db, undefined)))
  const generated = results.filter((r) => r.kind === 'generated')
  t.equal(generated.length, 1, 'one replica generates')
  t.equal(results.filter((r) => r.kind === 'none').length, 4)
  const rows = await db.selectFrom('apiTokens').selectAll().execute()
  t.equal(rows.length, 1)
  t.same(rows[0]?.scopes, ['admin'])
  const first = generated[0]
  if (first?.kind === 'generated') t.equal(rows[0]?.tokenHash, hashToken(first.token))
  t.same(await ensureAdminToken(db, undefined), { kind: 'none' }, 'never again on later starts')
})

t.test('ADMIN_TOKEN installs a known token and replaces an earlier configured one', async (t) => {
  const db = await migrated(t)
  const a = 'cis_configured-admin-token-a-000000000000'
  const b = 'cis_configured-admin-token-b-000000000000'
  t.same(await ensureAdminToken(db, a), { kind: 'configured' })
  t.same(await ensureAdminToken(db, a), { kind: 'configured' }, 'idempotent')
  t.equal((await db.selectFrom('apiTokens').selectAll().execute()).length, 1)
  await ensureAdminToken(db, b)
  const rows = await db.selectFrom('apiTokens').selectAll().orderBy('createdAt').execute()
  t.equal(rows.length, 2)
  t.equal(rows.find((r) => r.tokenHash === hashToken(a))?.revokedAt instanceof Date, true, 'the old configured token is revoked')
  t.equal(rows.find((r) => r.tokenHash === hashToken(b))?.revokedAt, null)
})

t.test('the announcement shows the token and how to use it', async (t) => {
  let text = ''
  announceAdminToken('cis_example', (s) => (text += s))
  t.match(text, /cis_example/)
  t.match(text, /shown this once/)
  t.match(text, /Authorization: Bearer cis_example/)
})

t.test('migrations are safe when replicas start together', async (t) => {
  const url = await freshDatabaseUrl(t)
  const handles = Array.from({ length: 3 }, () => openDatabase({ databaseUrl: url, dataDir: '.', poolMax: 2 }))
  t.teardown(() => Promise.all(handles.map((h) => h.close())))
  const results = await Promise.all(handles.map((h) => migrateToLatest(h.db)))
  const applied = results.flatMap((r) => r.results ?? []).filter((r) => r.status === 'Success')
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const { rows } = await client.query('select count(*)::int as n from kysely_migration')
  await client.end()
  t.equal(applied.length, rows[0].n, 'each migration applied exactly once across replicas')
})
