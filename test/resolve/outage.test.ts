import t from 'tap'
import { build } from '../helpers/app.js'
import { announceChange, insertImage, insertVersion } from './fixtures.js'
import { startTcpProxy } from './helpers/tcp-proxy.js'

const resolveUrl = (code: string, version = '1.latest') => `/v1/images/${code}/resolve?version=${version}&project=payments&build=outage`

t.test('resolve keeps answering from the last known state while PostgreSQL is unreachable', async (t) => {
  const direct = await build(t)
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const app = await build(t, { databaseUrl: proxy.url(direct.databaseUrl) })

  const tools = await insertImage(direct.app.db, 'tools', { visibilityPublic: true })
  await insertVersion(direct.app.db, tools, '1.0.0', 'released')
  await insertImage(direct.app.db, 'never-cached', { visibilityPublic: true })
  const engine = await app.token({ name: 'engine', scopes: ['resolve'] })
  const resolve = (code: string) => app.call({ method: 'GET', url: resolveUrl(code), token: engine })
  const fresh = await resolve('tools')
  t.equal(fresh.statusCode, 200)
  t.equal(fresh.headers['x-cache-stale'], undefined)

  await t.test('packets lost: a cached answer within the refresh budget, marked stale', async (t) => {
    await proxy.cut('hang')
    await new Promise((r) => setTimeout(r, 1100)) // older than the unlistened TTL: a refresh is due
    const started = Date.now()
    const res = await resolve('tools')
    const took = Date.now() - started
    t.equal(res.statusCode, 200)
    t.same(res.json(), fresh.json(), 'the last known resolution')
    t.equal(res.headers['x-cache-stale'], 'true')
    t.equal(res.headers.warning, '110 - "Response is stale"')
    t.ok(took < 1000, `answered in ${took} ms`)
    await proxy.restore()
  })

  await t.test('server down: stale reads, 503 for what was never known and for writes', async (t) => {
    t.equal((await resolve('tools')).statusCode, 200)
    await proxy.cut('refuse')
    await new Promise((r) => setTimeout(r, 1100))

    for (let i = 0; i < 3; i++) {
      const res = await resolve('tools')
      t.equal(res.statusCode, 200)
      t.equal(res.json().version, '1.0.0')
      t.equal(res.headers['x-cache-stale'], 'true')
    }
    const unknown = await resolve('never-cached')
    t.equal(unknown.statusCode, 503)
    t.match(unknown.json(), { code: 'DATABASE_UNAVAILABLE' })
    t.equal(unknown.headers['retry-after'], '5')

    const batch = await app.call({
      method: 'POST',
      url: '/v1/resolve',
      token: engine,
      payload: {
        project: 'payments',
        images: [
          { image: 'tools', version: '1.latest' },
          { image: 'never-cached', version: '1.latest' }
        ]
      }
    })
    t.equal(batch.statusCode, 200)
    t.equal(batch.headers['x-cache-stale'], 'true')
    t.equal(batch.json().results[0].resolution.version, '1.0.0')
    t.match(batch.json().results[1].problem, { status: 503, code: 'DATABASE_UNAVAILABLE' })

    const write = await app.call({ method: 'POST', url: '/v1/tokens', payload: { name: 'during-outage', scopes: ['resolve'] } })
    t.equal(write.statusCode, 503)
    t.equal(write.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.equal(write.headers['retry-after'], '5')
    t.match(write.json(), { code: 'DATABASE_UNAVAILABLE' })
    t.notOk(
      await direct.app.db.selectFrom('apiTokens').select('id').where('name', '=', 'during-outage').executeTakeFirst(),
      'nothing written'
    )

    // A release while this replica is cut off: its notification is missed.
    await insertVersion(direct.app.db, tools, '1.1.0', 'released')
    await announceChange(direct.app, tools)
    t.equal((await resolve('tools')).json().version, '1.0.0', 'still the last known state')
  })

  await t.test('recovers by itself when the database is back', async (t) => {
    await proxy.restore()
    const started = Date.now()
    let res = await resolve('tools')
    while ((res.headers['x-cache-stale'] || res.json().version !== '1.1.0') && Date.now() - started < 10_000) {
      await new Promise((r) => setTimeout(r, 100))
      res = await resolve('tools')
    }
    t.equal(res.statusCode, 200)
    t.equal(res.json().version, '1.1.0', 'the release made during the outage')
    t.equal(res.headers['x-cache-stale'], undefined)
    t.equal((await resolve('never-cached')).statusCode, 404, 'the database answers again')

    // Resolutions answered during the outage were kept (identical ones folded) and are written now.
    await app.app.resolutionLog.flush()
    const logged = await direct.app.db
      .selectFrom('resolutions')
      .select((eb) => eb.fn.sum<number>('count').as('n'))
      .where('build', '=', 'outage')
      .executeTakeFirstOrThrow()
    t.ok(Number(logged.n) >= 7, `${logged.n} resolutions logged`)
    t.equal(app.app.resolutionLog.dropped, 0)

    // The short TTL may have refreshed the cache before the LISTEN connection came back (its
    // reconnection backs off); the next step needs it back, and the catch-up it triggers done.
    while (!app.app.notifications.hearsOthers && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 50))
    t.ok(app.app.notifications.hearsOthers, 'the LISTEN connection is back')
    // Its catch-up distrusts every cached entry: this resolve reloads the image, fresh again.
    t.equal((await resolve('tools')).json().version, '1.1.0', 'reloaded after the catch-up')
  })

  await t.test('the LISTEN connection is back: invalidations reach this replica again', async (t) => {
    await insertVersion(direct.app.db, tools, '1.2.0', 'released')
    // Within the safety TTL (listener connected) only the notification can explain a quick update.
    await new Promise((r) => setTimeout(r, 200))
    t.equal((await resolve('tools')).json().version, '1.1.0', 'cached while nobody announced the change')
    await announceChange(direct.app, tools)
    const started = Date.now()
    let version = ''
    while (version !== '1.2.0' && Date.now() - started < 1000) {
      await new Promise((r) => setTimeout(r, 10)) // let the event loop read the notification
      version = (await resolve('tools')).json().version
    }
    t.equal(version, '1.2.0')
  })
})
