import t from 'tap'
import { build } from '../helpers/app.js'
import { insertImage, insertVersion } from './fixtures.js'
import { startTcpProxy } from './helpers/tcp-proxy.js'

const PASSWORD = 'robot-password-outage-5c2e'

t.test('pull secrets keep being handed out from the last known state while PostgreSQL is unreachable', async (t) => {
  const direct = await build(t)
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const app = await build(t, { databaseUrl: proxy.url(direct.databaseUrl) })

  const credential = async (name: string) => {
    const res = await direct.call({
      method: 'POST',
      url: '/v1/projects/owner-proj/credentials',
      payload: { name, username: `robot-${name}`, password: PASSWORD, registries: ['registry.example.com'] }
    })
    t.equal(res.statusCode, 201, res.body)
    return res.json<{ id: string }>().id
  }
  const known = await credential('known')
  const unread = await credential('unread')
  const tools = await insertImage(direct.app.db, 'tools', { visibilityPublic: true, credentialId: known })
  await insertVersion(direct.app.db, tools, '1.0.0', 'released')
  const other = await insertImage(direct.app.db, 'other', { visibilityPublic: true, credentialId: unread })
  await insertVersion(direct.app.db, other, '1.0.0', 'released')

  const engine = await app.token({ name: 'engine', scopes: ['resolve', 'pull-secrets'] })
  const namesOnly = await app.token({ name: 'engine-names', scopes: ['resolve'] })
  const resolve = (code: string, token = engine) =>
    app.call({ method: 'GET', url: `/v1/images/${code}/resolve?version=1.latest&project=payments&build=outage`, token })

  const before = await resolve('tools')
  t.equal(before.statusCode, 200)
  t.same(before.json().pullSecret, { username: 'robot-known', password: PASSWORD })
  // `other` is known to this replica, but its credential has never been read here.
  t.equal((await resolve('other', namesOnly)).statusCode, 200)

  await proxy.cut('refuse')
  await new Promise((r) => setTimeout(r, 1100)) // older than the unlistened TTL: a refresh is due

  const during = await resolve('tools')
  t.equal(during.statusCode, 200)
  t.equal(during.headers['x-cache-stale'], 'true')
  t.same(during.json().pullSecret, { username: 'robot-known', password: PASSWORD }, 'the secret last read, decrypted again')

  const never = await resolve('other')
  t.equal(never.statusCode, 503, 'a credential this replica never read cannot be handed out')
  t.match(never.json(), { code: 'DATABASE_UNAVAILABLE' })
  t.notMatch(never.body, PASSWORD)

  await proxy.restore()
  // The grant from before the cut may have been in a flush when the connections were cut: its COMMIT
  // can reach PostgreSQL while the answer is lost, so the writer cannot tell it was recorded and
  // writes it again. The retry carries the batch's id, recorded with its rows (log_batches), so it
  // adds nothing: two grants, however the timer's flushes fall around the cut.
  await app.app.resolutionLog.flush()
  const grants = await direct.app.db
    .selectFrom('pullSecretGrants')
    .select(['credentialId', 'build'])
    .where('credentialId', '=', known)
    .execute()
  t.equal(grants.length, 2, 'the hand-out during the outage is recorded once the database is back')
})
