// The migration that binds credentials to registry hosts, run on a database holding rows written
// before it: each credential gets the hosts a check proved it works with, and nothing else.
import t from 'tap'
import pg from 'pg'
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import { migrations } from '../../migrations/index.js'
import { build } from '../helpers/app.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import { WITH_KEY } from './keys.js'

const MIGRATION = '20261201150000_credential_registries'
const DIGEST = `sha256:${'c'.repeat(64)}`

t.test('existing credentials are bound to the hosts their pullable versions used; an unused one to nothing', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t)
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl }) }) })
  const names = Object.keys(migrations)
  const before = names[names.indexOf(MIGRATION) - 1]
  if (before === undefined) throw new Error(`${MIGRATION} is not registered`)
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const up = await migrator.migrateTo(before)
  if (up.error) throw up.error

  const credential = async (name: string) =>
    (
      await sql<{ id: string }>`insert into registry_credentials (project, name, username, secret_ciphertext, secret_key_id, created_by)
      values ('payments-ci', ${name}, 'u', ${Buffer.from('sealed')}, 'k', 'admin') returning id`.execute(db)
    ).rows[0]!.id
  const [used, byImage, failedOnly, unused] = [
    await credential('used'),
    await credential('by-image'),
    await credential('failed-only'),
    await credential('unused')
  ]
  // Whatever the images table looked like then (the owners column may or may not still exist).
  const owners =
    (await sql`select 1 from information_schema.columns where table_name = 'images' and column_name = 'owners'`.execute(db)).rows.length > 0
  const image = async (code: string, credentialId: string | null) =>
    (owners
      ? await sql<{ id: string }>`insert into images (code, name, owner_project, debug_project, credential_id, owners, created_by)
          values (${code}, ${code}, 'payments-ci', 'payments-sandbox', ${credentialId}, '{admin}', 'admin') returning id`.execute(db)
      : await sql<{ id: string }>`insert into images (code, name, owner_project, debug_project, credential_id, created_by)
          values (${code}, ${code}, 'payments-ci', 'payments-sandbox', ${credentialId}, 'admin') returning id`.execute(db)
    ).rows[0]!.id
  const a = await image('img-a', null)
  const b = await image('img-b', byImage)
  const c = await image('img-c', null)
  const d = await image('img-d', null)
  await image('img-e', null)
  let patch = 0
  const version = async (imageId: string, status: string, registry: string, credentialId: string | null, digest: string | null) =>
    sql`insert into image_versions (image_id, major, minor, patch, status, registry, repository, tag, credential_id, digest, submitted_by)
      values (${imageId}, 1, 0, ${patch++}, ${status}, ${registry}, 'ci/node', ${`t${patch}`}, ${credentialId}, ${digest}, 'admin')`.execute(
      db
    )
  await version(a, 'released', 'harbor.example.com', used, DIGEST)
  await version(a, 'cancelled', 'registry-1.docker.io', used, DIGEST)
  await version(a, 'withdrawn', 'harbor.example.com', used, DIGEST)
  // The exfiltration of issue 12: a foreign host that never served the image, and a single label
  // that was in fact read as a Docker Hub namespace.
  await version(a, 'check_failed', '127.0.0.1:5514', used, null)
  await version(d, 'check_failed', 'harbor', used, DIGEST)
  // No credential of its own: it pulled with the image's.
  await version(b, 'testing', 'b.example.com:5000', null, DIGEST)
  await version(c, 'check_failed', 'evil.example.com', failedOnly, null)
  await db.destroy()

  const { call } = await build(t, { databaseUrl, env: WITH_KEY })
  const list = (await call({ method: 'GET', url: '/v1/projects/payments-ci/credentials' })).json().items as {
    id: string
    registries: string[]
  }[]
  const hosts = Object.fromEntries(list.map((c) => [c.id, c.registries]))
  t.same(hosts[used], ['docker.io', 'harbor.example.com'])
  t.same(hosts[byImage], ['b.example.com:5000'])
  t.same(hosts[failedOnly], [], 'a host that never passed a check is not trusted with it')
  t.same(hosts[unused], [], 'unbound')

  const refused = await call({
    method: 'POST',
    url: '/v1/images/img-e/versions',
    payload: { registry: 'evil.example.com', repository: 'ci/node', tag: 'x', credentialId: unused }
  })
  t.equal(refused.statusCode, 400)
  t.match(refused.json(), { code: 'CREDENTIAL_REGISTRY_MISMATCH', credentialRegistries: [], registry: 'evil.example.com' })
  t.match(refused.json().detail, /bound to no registry yet \(unbound: set its registries with PATCH before use\)/)
})
