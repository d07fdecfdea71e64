import t from 'tap'
import { ADMIN_TOKEN, build, TEST_CREDENTIALS_KEY } from '../helpers/app.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import { freePort, startServer } from '../helpers/server-process.js'
import { deliveriesOf, startReceiver, waitFor } from './delivery-rig.js'

// Long enough for the survivor to start while the child's attempt is still under way.
const TIMEOUT_MS = 8000

t.test('a replica killed while the receiver holds its request: another delivers after the lease, nothing lost, order kept', async (t) => {
  const receiver = await startReceiver(t)
  receiver.behave((n) => (n === 0 ? 'hold' : { status: 200 }))
  const databaseUrl = await freshDatabaseUrl(t)
  const port = await freePort()
  const env = { WEBHOOK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS) }
  const server = startServer(
    {
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN,
      CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
      LOG_LEVEL: 'info',
      RATE_LIMIT_ENABLED: 'false',
      PORT: String(port),
      ...env
    },
    t
  )
  await server.listening()
  const call = async (method: string, path: string, body: object) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const sub = await call('POST', '/v1/webhooks', { url: receiver.url, events: ['*'] })
  t.equal(sub.status, 201, 'subscribed')
  receiver.secrets.push(String(sub.body.secret))
  t.equal((await call('POST', '/v1/images', { code: 'crashy', name: 'Crashy', ownerProject: 'platform' })).status, 201)
  t.equal((await call('PATCH', '/v1/images/crashy', { name: 'Crashy, renamed' })).status, 200)
  await waitFor('the first request', () => receiver.held() === 1)

  // The survivor: another replica on the same database, running before the crash.
  const survivor = await build(t, { databaseUrl, env: { ...env, LOG_LEVEL: 'warn' } })
  await survivor.app.ready()
  const [leased] = await deliveriesOf(survivor, String(sub.body.id))
  t.ok(leased?.lockedBy?.includes(`:${server.child.pid}:`), `the child holds the delivery (${leased?.lockedBy})`)
  const lockedUntil = leased?.lockedUntil?.getTime() ?? 0

  server.child.kill('SIGKILL')
  const killedAt = Date.now()
  await server.exited
  const ms = await waitFor('the delivery, from the survivor', () => receiver.received.length === 3, 40_000)
  const [held, again, next] = receiver.received
  const afterLease = (again?.at ?? 0) - lockedUntil
  t.ok(afterLease >= -50 && afterLease < 2000, `taken ${afterLease} ms after the lease ran out, not before, not at the next poll`)
  t.pass(`sent again ${(again?.at ?? 0) - killedAt} ms after the kill (lease of WEBHOOK_TIMEOUT_MS + 15 s); both events within ${ms} ms`)
  t.equal(again?.webhookId, held?.webhookId, 'the same message again: at least once')
  t.ok(Number(next?.body.id) > Number(again?.body.id), 'then the next event: order kept')
  t.same(receiver.unverified, [])
  await waitFor('recorded', async () => (await deliveriesOf(survivor, String(sub.body.id))).every((d) => d.status === 'succeeded'))
  const [d1, d2] = await deliveriesOf(survivor, String(sub.body.id))
  t.match(d1, { status: 'succeeded', attempts: 2 }, "the killed replica's attempt counts")
  t.same(
    d1?.attemptLog.map((a) => [a.attempt, a.outcome]),
    [[2, 'succeeded']]
  )
  t.match(d2, { status: 'succeeded', attempts: 1 })
  receiver.release()
})
