// The container image runs compiled JavaScript only (no tsx, no dev dependencies): this test builds
// dist/ once with `npm run build` (tsc -p tsconfig.build.json) and runs the very entry points the
// Dockerfile's runtime stage and the Kubernetes manifests name, with plain `node` and no loader:
//   node dist/scripts/migrate.js, node dist/src/server.js, node dist/scripts/credentials-reencrypt.js
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { freshDatabaseUrl } from '../helpers/database.js'

const ROOT = resolve(import.meta.dirname, '../..')
const run = promisify(execFile)

t.setTimeout(240_000)

// DATA_DIR: a directory of this test's own, never the developer's ./data.
const dataDir = mkdtempSync(join(tmpdir(), 'cis-entry-points-'))
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))

/** The parent's environment without tap's loaders (NODE_OPTIONS) and without database settings, then `settings`. */
function environment(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of ['NODE_OPTIONS', 'DATABASE_URL', 'CREDENTIALS_KEY', 'CREDENTIALS_OLD_KEYS', 'ADMIN_TOKEN']) delete env[name]
  return { ...env, NODE_ENV: 'production', LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...settings }
}

async function node(script: string, settings: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script], { cwd: ROOT, env: environment(settings), timeout: 30_000 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string; killed?: boolean }
    if (e.killed) throw new Error(`${script} did not finish within 30 s`)
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' }
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as { port: number }
  await new Promise((done) => server.close(done))
  return port
}

// Import statements as tsc emits them (one a line), side-effect imports, and dynamic imports.
const IMPORT =
  /^\s*(?:import|export)\s[^'"\n]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm

/** Every package the compiled code imports (bare specifiers of static and dynamic imports), by file. */
function importedPackages(dir: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue
    const file = join(entry.parentPath, entry.name)
    for (const m of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const specifier = (m[1] ?? m[2] ?? m[3])!
      if (specifier.startsWith('.') || specifier.startsWith('node:')) continue
      const parts = specifier.split('/')
      found.set(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!, file)
    }
  }
  return found
}

const key = () => randomBytes(32).toString('base64')

t.test('the compiled entry points the image runs: migrate, serve, re-encrypt', async (t) => {
  const started = Date.now()
  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 150_000 })
  t.comment(`npm run build: ${Date.now() - started} ms`)

  // The image installs production dependencies only (npm ci --omit=dev): dist/ may import nothing else.
  const { dependencies } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  for (const [name, file] of importedPackages(join(ROOT, 'dist')))
    t.ok(name in dependencies, `${name} (imported by ${file}) is a production dependency`)

  const databaseUrl = await freshDatabaseUrl(t)
  const oldKey = key()
  const newKey = key()

  const migrated = await node('dist/scripts/migrate.js', { DATABASE_URL: databaseUrl, CREDENTIALS_KEY: oldKey })
  t.equal(migrated.code, 0, migrated.stderr)
  t.match(migrated.stdout, /^applied \d+_api_tokens$/m, 'migrations applied by the compiled script')
  const again = await node('dist/scripts/migrate.js', { DATABASE_URL: databaseUrl, CREDENTIALS_KEY: oldKey })
  t.equal(again.stdout, 'database is up to date\n')

  // The service, from dist/, on a free port: /healthz answers; a credential is stored under the old key.
  const port = await freePort()
  const adminToken = randomBytes(32).toString('base64url')
  const server = spawn(process.execPath, ['dist/src/server.js'], {
    cwd: ROOT,
    env: environment({
      DATABASE_URL: databaseUrl,
      CREDENTIALS_KEY: oldKey,
      ADMIN_TOKEN: adminToken,
      HOST: '127.0.0.1',
      PORT: String(port)
    }),
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  server.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  server.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = new Promise<number | null>((done) => server.on('exit', (code) => done(code)))
  t.teardown(() => {
    if (server.exitCode === null) server.kill('SIGKILL')
  })
  const api = `http://127.0.0.1:${port}`
  const booting = Date.now()
  let health: Response | undefined
  while (Date.now() - booting < 30_000 && server.exitCode === null) {
    health = await fetch(`${api}/healthz`).catch(() => undefined)
    if (health?.ok) break
    await new Promise((done) => setTimeout(done, 100))
  }
  t.equal(health?.status, 200, `node dist/src/server.js answers /healthz (output: ${output})`)
  t.comment(`server start to /healthz 200: ${Date.now() - booting} ms`)
  const created = await fetch(`${api}/v1/projects/payments/credentials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'harbor-robot', username: 'robot', password: 's3cret-password', registries: ['harbor.example.com'] })
  })
  t.equal(created.status, 201, await created.text())
  server.kill('SIGTERM')
  const stopping = Date.now()
  t.equal(await exited, 0, 'SIGTERM ends the server cleanly')
  t.comment(`SIGTERM to exit: ${Date.now() - stopping} ms`)
  t.notMatch(output, oldKey, 'the key is not logged')

  // Key rotation: the new key current, the old one still accepted; then the new key alone.
  const reencrypted = await node('dist/scripts/credentials-reencrypt.js', {
    DATABASE_URL: databaseUrl,
    CREDENTIALS_KEY: newKey,
    CREDENTIALS_OLD_KEYS: oldKey
  })
  t.equal(reencrypted.code, 0, reencrypted.stderr)
  t.match(reencrypted.stdout, /^re-encrypted 1 credential\(s\) and 0 webhook secret\(s\) with key /)
  const rerun = await node('dist/scripts/credentials-reencrypt.js', { DATABASE_URL: databaseUrl, CREDENTIALS_KEY: newKey })
  t.equal(rerun.code, 0, rerun.stderr)
  t.match(rerun.stdout, /^re-encrypted 0 credential\(s\)/, 'every credential is on the new key: the old one can go')
  const wrongKey = await node('dist/scripts/credentials-reencrypt.js', { DATABASE_URL: databaseUrl, CREDENTIALS_KEY: key() })
  t.equal(wrongKey.code, 1, 'a key that opens nothing is refused')
  t.match(wrongKey.stderr, /1 credential\(s\) left on their old key; fix CREDENTIALS_OLD_KEYS/)
  t.notMatch(wrongKey.stderr + wrongKey.stdout, newKey, 'no key in the output')
})
