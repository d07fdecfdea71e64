// A revoked token stops working on every replica within a second, and a replica cut off from the
// database serves only tokens it verified after the last revocation it knows of.
import t from 'tap'
import { sql } from 'kysely'
import { build, type TestApp } from '../helpers/app.js'
import { TokenVerifier } from '../../src/tokens/token-verifier.js'
import { hashToken } from '../../src/tokens/token-secret.js'
import { insertToken, revokeToken } from '../../src/tokens/tokens.repository.js'
import { insertImage, insertVersion } from '../resolve/fixtures.js'
import { startTcpProxy } from '../resolve/helpers/tcp-proxy.js'

const LIMIT_MS = 1000

const whoami = (app: TestApp, token: string) => app.call({ method: 'GET', url: '/v1/whoami', token })
const tokenIdOf = async (app: TestApp, token: string) => (await whoami(app, token)).json<{ tokenId: string }>().tokenId
const revoke = async (app: TestApp, id: string) => {
  const res = await app.call({ method: 'DELETE', url: `/v1/tokens/${id}` })
  if (res.statusCode !== 204) throw new Error(`revoke answered ${res.statusCode} ${res.body}`)
}

/** Polls until `check` answers something other than undefined; returns it and how long it took. */
async function pollUntil<T>(check: () => Promise<T | undefined>, limitMs: number): Promise<{ value: T | undefined; ms: number }> {
  const started = Date.now()
  for (;;) {
    const value = await check()
    if (value !== undefined || Date.now() - started > limitMs) return { value, ms: Date.now() - started }
    // A cache hit involves no I/O; pausing lets the event loop read the notification socket.
    await new Promise((r) => setTimeout(r, 10))
  }
}

t.test('a token revoked on replica A is refused by replica B within one second', async (t) => {
  const a = await build(t)
  const b = await build(t, { databaseUrl: a.databaseUrl })
  const leaver = await a.token({ name: 'leaver', scopes: ['images:read'] })
  const stayer = await a.token({ name: 'stayer', scopes: ['images:read'] })
  t.equal((await whoami(b, leaver)).statusCode, 200, 'B has verified (and cached) the token')
  t.equal((await whoami(b, stayer)).statusCode, 200)

  await revoke(a, await tokenIdOf(a, leaver))
  const onA = await whoami(a, leaver)
  t.match({ status: onA.statusCode, code: onA.json().code }, { status: 401, code: 'TOKEN_REVOKED' }, 'A refuses it at once')

  const { value, ms } = await pollUntil(async () => {
    const res = await whoami(b, leaver)
    return res.statusCode === 401 ? (res.json().code as string) : undefined
  }, LIMIT_MS)
  t.equal(value, 'TOKEN_REVOKED', `B refuses it within ${LIMIT_MS} ms (15 s cache without the notification)`)
  t.ok(ms < LIMIT_MS, `B refused it ${ms} ms after A answered`)
  t.equal((await whoami(b, stayer)).statusCode, 200, 'other tokens stay cached and valid')
})

t.test('a replica that cannot hear revocations trusts a cached token for about a second only', async (t) => {
  const { app } = await build(t)
  const secret = 'cis_unheard-revocation-0000000000000000000000'
  const row = await insertToken(app.db, {
    name: 'unheard',
    scopes: ['images:read'],
    projects: null,
    tokenHash: hashToken(secret),
    tokenPrefix: 'cis_unhear',
    createdBy: 'test',
    expiresAt: null
  })
  const deaf = new TokenVerifier({ db: app.db, log: app.log, hearsRevocations: () => false })
  t.match(await deaf.verify(secret), { tokenId: row.id })
  await revokeToken(app.db, row.id) // on "another replica": no notification reaches `deaf`
  t.match(deaf.verifyCached(secret), { tokenId: row.id }, 'still cached just after')
  await new Promise((r) => setTimeout(r, 1050))
  t.equal(deaf.verifyCached(secret), undefined, 'no longer fresh after a second')
  await t.rejects(deaf.verify(secret), { status: 401, code: 'TOKEN_REVOKED' })
})

t.test('cut off from the database, a replica serves only tokens verified after the last revocation it heard', async (t) => {
  const direct = await build(t)
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const cut = await build(t, { databaseUrl: proxy.url(direct.databaseUrl) })

  const tools = await insertImage(direct.app.db, 'tools', { visibilityPublic: true })
  await insertVersion(direct.app.db, tools, '1.0.0', 'released')
  const before = await direct.token({ name: 'engine-before', scopes: ['resolve'] })
  const after = await direct.token({ name: 'engine-after', scopes: ['resolve'] })
  const leaver = await direct.token({ name: 'leaver', scopes: ['resolve'] })
  const resolve = (token: string) => cut.call({ method: 'GET', url: '/v1/images/tools/resolve?version=1.latest&project=payments', token })

  t.equal((await resolve(before)).statusCode, 200, 'verified before the revocation')
  t.equal((await resolve(leaver)).statusCode, 200)
  await revoke(direct, await tokenIdOf(direct, leaver))
  const heard = await pollUntil(async () => ((await resolve(leaver)).statusCode === 401 ? true : undefined), LIMIT_MS)
  t.ok(heard.value, `the cut-off replica heard the revocation (${heard.ms} ms)`)
  await new Promise((r) => setTimeout(r, 5))
  t.equal((await resolve(after)).statusCode, 200, 'verified after the revocation')

  await proxy.cut('refuse')
  // Without its listener the replica trusts entries for a second only; then it must ask the database.
  await new Promise((r) => setTimeout(r, 1100))

  const refused = await resolve(before)
  t.equal(refused.statusCode, 503, 'a token verified before the last revocation is not served')
  t.match(refused.json(), { code: 'DATABASE_UNAVAILABLE' })
  t.equal(refused.headers['retry-after'], '5')
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')

  const served = await resolve(after)
  t.equal(served.statusCode, 200, 'a token verified after it still resolves')
  t.equal(served.json().version, '1.0.0')
  t.equal(served.headers['x-cache-stale'], 'true')

  const revoked = await resolve(leaver)
  t.match(
    { status: revoked.statusCode, code: revoked.json().code },
    { status: 401, code: 'TOKEN_REVOKED' },
    'a revoked token stays refused'
  )

  await proxy.restore()
  const back = await pollUntil(async () => ((await resolve(before)).statusCode === 200 ? true : undefined), 10_000)
  t.ok(back.value, `served again once the database is back (${back.ms} ms)`)
  t.equal((await resolve(leaver)).json().code, 'TOKEN_REVOKED')
})

t.test('a revocation missed while not listening is found when the listener reconnects', async (t) => {
  const direct = await build(t)
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const replica = await build(t, { databaseUrl: proxy.url(direct.databaseUrl) })
  const kept = await direct.token({ name: 'kept', scopes: ['images:read'] })
  const missed = await direct.token({ name: 'missed', scopes: ['images:read'] })
  t.equal((await whoami(replica, kept)).statusCode, 200)
  t.equal((await whoami(replica, missed)).statusCode, 200)

  // Revoked without a notification: what a replica misses while its listener is away.
  await revokeToken(direct.app.db, await tokenIdOf(direct, missed))
  t.equal((await whoami(replica, missed)).statusCode, 200, 'cached, and nobody told this replica')
  await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'ci-image-store-listen' and datname = current_database()`.execute(
    direct.app.db
  )

  const found = await pollUntil(async () => {
    const res = await whoami(replica, missed)
    return res.statusCode === 401 ? (res.json().code as string) : undefined
  }, 5000)
  t.equal(found.value, 'TOKEN_REVOKED', `found after the reconnection (${found.ms} ms), not after the 15 s cache`)

  // The check confirmed the other cached token: an outage right after the reconnection spares it.
  await proxy.cut('refuse')
  await new Promise((r) => setTimeout(r, 1100))
  t.equal((await whoami(replica, kept)).statusCode, 200, 'confirmed by the check, served during the outage')
})
