// The shared LISTEN connection: several channels on one connection, each notification to its own
// handlers, and a reconnection (with its onConnect catch-up) after the server drops it.
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { ADMIN_TOKEN, build } from '../helpers/app.js'
import { NotificationListener } from '../../src/db/notification-listener.js'

async function until(check: () => boolean, limitMs: number): Promise<number> {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`not true after ${limitMs} ms`)
    await new Promise((r) => setTimeout(r, 10))
  }
  return Date.now() - started
}

t.test('one connection, several channels, reconnects after the server drops it', async (t) => {
  const { app, databaseUrl } = await build(t)
  const sender = new pg.Client({ connectionString: databaseUrl })
  await sender.connect()
  t.teardown(() => sender.end())

  const listener = new NotificationListener({ url: databaseUrl, log: app.log, minBackoffMs: 50 })
  t.teardown(() => listener.close())
  const heard: string[] = []
  let connects = 0
  listener.on('first_channel', (payload) => heard.push(`first:${payload}`))
  listener.on('second_channel', (payload) => heard.push(`second:${payload}`))
  listener.on('second_channel', (payload) => heard.push(`second again:${payload}`))
  listener.onConnect(() => connects++)
  t.throws(() => listener.on('drop table x', () => {}), /not a plain identifier/)

  await listener.start()
  t.equal(listener.connected, true)
  t.equal(connects, 1, 'onConnect runs on the first connection too')
  t.throws(() => listener.on('late_channel', () => {}), /after the listener started/)

  const backends = await sender.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity where application_name = 'ci-image-store-listen' and datname = current_database()`
  )
  t.equal(backends.rows[0]?.n, 1, 'one LISTEN connection for every channel')

  await sender.query(`select pg_notify('first_channel', 'a'), pg_notify('second_channel', 'b'), pg_notify('other_channel', 'c')`)
  await until(() => heard.length === 3, 1000)
  t.same(heard, ['first:a', 'second:b', 'second again:b'])

  // A notification inside a transaction is delivered at commit, and never if it rolls back.
  await sender.query('begin')
  await sender.query(`select pg_notify('first_channel', 'rolled back')`)
  await sender.query('rollback')
  await sender.query('begin')
  await sender.query(`select pg_notify('first_channel', 'committed')`)
  await new Promise((r) => setTimeout(r, 100))
  t.equal(heard.length, 3, 'nothing before commit')
  await sender.query('commit')
  await until(() => heard.length === 4, 1000)
  t.same(heard.slice(3), ['first:committed'])

  await sender.query(
    `select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'ci-image-store-listen' and datname = current_database()`
  )
  await until(() => !listener.connected, 1000)
  const ms = await until(() => listener.connected, 5000)
  t.comment(`reconnected after ${ms} ms`)
  t.equal(connects, 2, 'onConnect runs again: whatever was sent meanwhile was missed')
  await sender.query(`select pg_notify('second_channel', 'after')`)
  await until(() => heard.length === 6, 1000)
  t.same(heard.slice(4), ['second:after', 'second again:after'], 'every channel is listened to again')
})

t.test('the app exposes the listener: connected on PostgreSQL, never deaf on the embedded database', async (t) => {
  const postgres = await build(t)
  await postgres.app.ready()
  t.equal(postgres.app.notifications.hearsOthers, true)

  const dataDir = mkdtempSync(join(tmpdir(), 'cis-notifications-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const embedded = await buildApp({ config: loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ADMIN_TOKEN }) })
  t.teardown(() => embedded.close())
  t.equal(embedded.database.kind, 'embedded')
  t.equal(embedded.notifications.hearsOthers, true, 'one process, nobody else to hear')
  // Revoking notifies in its transaction; PGlite accepts pg_notify and the revocation holds.
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` }
  const created = await embedded.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: admin,
    payload: { name: 'leaver', scopes: ['resolve'] }
  })
  const { id, token } = created.json<{ id: string; token: string }>()
  t.equal((await embedded.inject({ method: 'GET', url: '/v1/whoami', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
  t.equal((await embedded.inject({ method: 'DELETE', url: `/v1/tokens/${id}`, headers: admin })).statusCode, 204)
  const after = await embedded.inject({ method: 'GET', url: '/v1/whoami', headers: { authorization: `Bearer ${token}` } })
  t.equal(after.json().code, 'TOKEN_REVOKED')
})
