import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { startTcpProxy } from '../resolve/helpers/tcp-proxy.js'
import { Readiness } from '../../src/health/readiness.js'

const probe = (app: Awaited<ReturnType<typeof build>>, url = '/readyz') => app.call({ method: 'GET', url, token: null })
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('readiness through a database outage: ready and degraded, answered within a second', async (t) => {
  const direct = await build(t)
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const app = await build(t, { databaseUrl: proxy.url(direct.databaseUrl) })

  const healthy = await probe(app)
  t.equal(healthy.statusCode, 200)
  t.same(healthy.json(), { status: 'ready', mode: 'normal', database: 'reachable', backend: 'postgres' })

  for (const mode of ['refuse', 'hang'] as const) {
    await t.test(`database ${mode === 'refuse' ? 'down' : 'hanging'}`, async (t) => {
      await proxy.cut(mode)
      await pause(1100) // the last answer is reused for a second
      const started = performance.now()
      const res = await probe(app)
      const took = performance.now() - started
      t.equal(res.statusCode, 200, 'still ready: resolve answers from memory')
      t.same(res.json(), { status: 'ready', mode: 'degraded', database: 'unreachable', backend: 'postgres' })
      t.ok(took < 1000, `answered in ${Math.round(took)} ms`)
      t.match(app.app.readiness.state(), { ready: true, mode: 'degraded', database: 'unreachable' }, 'readable without a check')
      t.equal((await probe(app, '/healthz')).statusCode, 200, 'liveness does not care')
      await proxy.restore()
      await pause(1100)
      t.same((await probe(app)).json(), { status: 'ready', mode: 'normal', database: 'reachable', backend: 'postgres' }, 'back to normal')
    })
  }
})

t.test('without the resolve cache a database outage is not ready', async (t) => {
  const direct = await build(t)
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const app = await build(t, { databaseUrl: proxy.url(direct.databaseUrl), env: { RESOLVE_CACHE: 'false' } })
  t.equal((await probe(app)).statusCode, 200)
  await proxy.cut('refuse')
  await pause(1100)
  const res = await probe(app)
  t.equal(res.statusCode, 503)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(res.json(), { code: 'NOT_READY', detail: /RESOLVE_CACHE/ })
})

t.test('draining: readyz answers 503 while liveness stays ok', async (t) => {
  const app = await build(t)
  t.equal((await probe(app)).statusCode, 200)
  app.app.readiness.draining()
  const res = await probe(app)
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.match(res.json(), { code: 'NOT_READY', detail: /shutting down/ })
  t.equal((await probe(app, '/healthz')).statusCode, 200)
  t.match(app.app.readiness.state(), { draining: true, ready: false })
})

t.test('not ready before start-up completed, and with pending migrations', async (t) => {
  const app = await build(t)
  const readiness = new Readiness({ db: app.app.db, servesFromMemory: true })
  t.match(await readiness.check(), { started: false, ready: false })
  readiness.started()
  t.match(await readiness.check(), { started: true, ready: true, database: 'reachable' })

  await sql`delete from kysely_migration where name = (select max(name) from kysely_migration)`.execute(app.app.db)
  const fresh = new Readiness({ db: app.app.db, servesFromMemory: true })
  fresh.started()
  t.match(await fresh.check(), { ready: false, database: 'migrations_pending' })
})

t.test('a probe storm costs one database check a second', async (t) => {
  const direct = await build(t)
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const app = await build(t, { databaseUrl: proxy.url(direct.databaseUrl) })
  t.equal((await probe(app)).statusCode, 200)
  await proxy.cut('hang')
  // Within the second after a good answer every probe reuses it; no query reaches the hanging server.
  const storm = await Promise.all(Array.from({ length: 50 }, () => probe(app)))
  t.ok(
    storm.every((r) => r.statusCode === 200 && r.json<{ database: string }>().database === 'reachable'),
    'the cached answer'
  )
  await pause(1100)
  const started = performance.now()
  const after = await Promise.all(Array.from({ length: 50 }, () => probe(app)))
  const took = performance.now() - started
  t.ok(
    after.every((r) => r.statusCode === 200 && r.json<{ mode: string }>().mode === 'degraded'),
    'one bounded check, shared'
  )
  t.ok(took < 1000, `50 probes against a hanging database answered in ${Math.round(took)} ms`)
  await proxy.restore()
})
