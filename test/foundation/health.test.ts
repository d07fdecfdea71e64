import t from 'tap'
import { build } from '../helpers/app.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import { openDatabase } from '../../src/db/database.js'

t.test('healthz and readyz need no token', async (t) => {
  const { call } = await build(t)
  const health = await call({ method: 'GET', url: '/healthz', token: null })
  t.equal(health.statusCode, 200)
  t.same(health.json(), { status: 'ok' })
  const ready = await call({ method: 'GET', url: '/readyz', token: null })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', mode: 'normal', database: 'reachable', backend: 'postgres' })
})

t.test('a closed pool: readyz stays ready but degraded; healthz stays up', async (t) => {
  const handle = openDatabase({ databaseUrl: await freshDatabaseUrl(t), dataDir: '.', poolMax: 2 })
  const { call } = await build(t, { database: handle })
  await handle.close()
  const ready = await call({ method: 'GET', url: '/readyz', token: null })
  t.equal(ready.statusCode, 200)
  t.same(ready.json(), { status: 'ready', mode: 'degraded', database: 'unreachable', backend: 'postgres' })
  t.equal((await call({ method: 'GET', url: '/healthz', token: null })).statusCode, 200)
})

t.test('the contract and its reference page are public', async (t) => {
  const { call } = await build(t)
  const doc = await call({ method: 'GET', url: '/openapi.json', token: null })
  t.equal(doc.statusCode, 200)
  t.equal(doc.json<{ openapi: string }>().openapi, '3.1.0')
  const page = await call({ method: 'GET', url: '/docs/', token: null })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /text\/html/)
})
