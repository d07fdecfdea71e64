import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { ADMIN_TOKEN, TEST_CREDENTIALS_KEY } from '../helpers/app.js'
import { compiledEntry } from '../helpers/compiled-entry.js'
import { freshDatabaseUrl } from '../helpers/database.js'

// Every foreseen start-up failure: one line on stderr, naming the variable, no stack trace, and an
// exit code a supervisor can tell apart (78 a setting, 69 a dependency that cannot be reached).
// The compiled JavaScript, run with plain node as in production (no TypeScript loader per start).
const SERVER = await compiledEntry('src/server.ts')
const MIGRATE = await compiledEntry('scripts/migrate.ts')

async function startFails(env: Record<string, string>, entry = SERVER) {
  const child = spawn(process.execPath, [entry], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe']
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stderr }
}

function oneLine(t: Test, stderr: string, variable: string) {
  t.match(stderr, /^[^\n]+\n$/, `exactly one line: ${stderr}`)
  t.notMatch(stderr, /\n\s+at /, 'no stack trace')
  t.ok(stderr.includes(variable), `names ${variable}`)
}

const scratch = () => {
  const dir = mkdtempSync(join(tmpdir(), 'cis-startup-'))
  return dir
}

t.test('PostgreSQL unreachable: 69 and one line', async (t) => {
  const { code, stderr } = await startFails({
    DATABASE_URL: 'postgres://app:s3cret-password@127.0.0.1:1/store',
    CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
    ADMIN_TOKEN
  })
  t.equal(code, 69)
  oneLine(t, stderr, 'DATABASE_URL')
  t.match(stderr, /127\.0\.0\.1:1/)
  t.notMatch(stderr, /s3cret/, 'the password is not echoed')
})

t.test('a database that does not exist: 78 and one line', async (t) => {
  const url = new URL(await freshDatabaseUrl(t))
  url.pathname = '/cis_no_such_database'
  const { code, stderr } = await startFails({ DATABASE_URL: url.toString(), CREDENTIALS_KEY: TEST_CREDENTIALS_KEY, ADMIN_TOKEN })
  t.equal(code, 78)
  oneLine(t, stderr, 'DATABASE_URL')
  t.match(stderr, /cis_no_such_database/)
})

t.test('DATABASE_DIRECT_URL unreachable: 69 and the line names DATABASE_DIRECT_URL, not DATABASE_URL', async (t) => {
  const { code, stderr } = await startFails({
    DATABASE_URL: await freshDatabaseUrl(t),
    DATABASE_DIRECT_URL: 'postgres://app:s3cret-password@127.0.0.1:1/store',
    CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
    ADMIN_TOKEN
  })
  t.equal(code, 69)
  oneLine(t, stderr, 'DATABASE_DIRECT_URL')
  t.notMatch(stderr, /s3cret/, 'the password is not echoed')
})

t.test('DATABASE_URL without CREDENTIALS_KEY: 78 before any migration', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t)
  const { code, stderr } = await startFails({ DATABASE_URL: databaseUrl, ADMIN_TOKEN })
  t.equal(code, 78)
  oneLine(t, stderr, 'CREDENTIALS_KEY')
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  t.teardown(() => client.end())
  const tables = await client.query(`select count(*)::int as n from information_schema.tables where table_schema = 'public'`)
  t.equal(tables.rows[0].n, 0, 'the database was not touched (no migration table)')
})

t.test('a bad CREDENTIALS_KEY: 78, the value not echoed', async (t) => {
  const dataDir = scratch()
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const { code, stderr } = await startFails({ DATA_DIR: dataDir, CREDENTIALS_KEY: 'not-a-key-at-all-secret', ADMIN_TOKEN })
  t.equal(code, 78)
  oneLine(t, stderr, 'CREDENTIALS_KEY')
  t.notMatch(stderr, /not-a-key-at-all-secret/)
})

t.test('DATA_DIR not writable: 78 and one line', async (t) => {
  // A path under a regular file fails for root too, where permissions would not.
  const dir = scratch()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'file-not-dir'), '')
  const { code, stderr } = await startFails({ DATA_DIR: join(dir, 'file-not-dir', 'sub'), ADMIN_TOKEN })
  t.equal(code, 78)
  oneLine(t, stderr, 'DATA_DIR')
  t.match(stderr, /ENOTDIR/)
})

t.test('a port in use: 78 and one line', async (t) => {
  const dataDir = scratch()
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const taken = createServer().listen(0, '127.0.0.1')
  await once(taken, 'listening')
  t.teardown(() => taken.close())
  const { port } = taken.address() as { port: number }
  const { code, stderr } = await startFails({ DATA_DIR: dataDir, PORT: String(port), ADMIN_TOKEN })
  t.equal(code, 78)
  oneLine(t, stderr, 'PORT')
})

t.test('npm run migrate explains itself the same way', async (t) => {
  const down = await startFails({ DATABASE_URL: 'postgres://app:s3cret-password@127.0.0.1:1/store' }, MIGRATE)
  t.equal(down.code, 69)
  oneLine(t, down.stderr, 'DATABASE_URL')
  t.notMatch(down.stderr, /s3cret/)
  const dir = scratch()
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'file-not-dir'), '')
  const noDir = await startFails({ DATA_DIR: join(dir, 'file-not-dir', 'sub') }, MIGRATE)
  t.equal(noDir.code, 78)
  oneLine(t, noDir.stderr, 'DATA_DIR')
})
