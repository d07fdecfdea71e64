import t from 'tap'
import pg from 'pg'
import { build } from '../helpers/app.js'
import { startFaultProxy } from '../helpers/registry/index.js'
import { push, registryEnv, startTestRegistry } from '../versions/fixtures.js'
import { releasedVersion, verificationJob, verifyNow, versionRow, waitFor } from './fixtures.js'

t.test('closing the app cuts a hanging verification short and hands its job back, due at once, attempt not counted', async (t) => {
  const registry = await startTestRegistry(t)
  const proxy = await startFaultProxy(registry)
  t.teardown(proxy.stop)
  await push(registry, 'team/hang', '1.0')
  const env = { ...registryEnv(registry, proxy), VERIFY_INTERVAL: '1h', CHECK_POLL_INTERVAL_MS: '100', REGISTRY_TIMEOUT_MS: '20000' }
  const app = await build(t, { env })
  await releasedVersion(app, 'hang', { registry: proxy.host, repository: 'team/hang', tag: '1.0' })
  const { id } = await versionRow(app, 'hang')

  proxy.setMode('hang')
  const sent = proxy.requests.length
  t.equal((await verifyNow(app, 'hang')).statusCode, 202)
  const leased = await waitFor('the leased verification', async () => {
    const job = await verificationJob(app, id)
    return job?.lockedBy && proxy.requests.length > sent ? job : undefined
  })
  t.equal(leased.attempts, 1)

  const closing = Date.now()
  await app.app.close()
  const closedMs = Date.now() - closing
  t.ok(closedMs < 10_000, `closed in ${closedMs} ms, long before the registry timeout`)
  // The app's pool is closed: read with a client of our own.
  const db = new pg.Client({ connectionString: app.databaseUrl })
  await db.connect()
  t.teardown(() => db.end())
  const { rows } = await db.query<{ id: number; locked_by: string | null; attempts: number; due: boolean }>(
    "select id, locked_by, attempts, run_at <= now() as due from check_jobs where version_id = $1 and kind = 'verification'",
    [id]
  )
  t.same(rows, [{ id: leased.id, locked_by: null, attempts: 0, due: true }], 'handed back untouched, due at once, attempt not counted')
  const version = await db.query('select verification_error, verified_at from image_versions where id = $1', [id])
  t.same(version.rows, [{ verification_error: null, verified_at: null }], 'nothing recorded for the cut run')
  proxy.setMode('pass')
})
