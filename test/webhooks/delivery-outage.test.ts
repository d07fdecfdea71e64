import t from 'tap'
import { build } from '../helpers/app.js'
import { startTcpProxy } from '../resolve/helpers/tcp-proxy.js'
import {
  createImage,
  deliveriesOf,
  RECEIVER_ENV,
  sleep,
  startReceiver,
  subscribe,
  updateImage,
  useShortSchedule,
  waitFor
} from './delivery-rig.js'

t.test('PostgreSQL unreachable: deliveries wait, then resume in order once it is back', async (t) => {
  const receiver = await startReceiver(t)
  // Another replica writes the changes and dispatches them; its worker is stopped, so only the
  // replica behind the proxy delivers.
  const direct = await build(t, { env: RECEIVER_ENV })
  await direct.app.ready()
  await direct.app.webhookDelivery.worker.stop()
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const cutOff = await build(t, { env: RECEIVER_ENV, databaseUrl: proxy.url(direct.databaseUrl) })
  await useShortSchedule(t, cutOff, { schedule: { delaysMs: [300, 300, 300], jitter: 0, maxRetryAfterMs: 1000 } })

  const sub = await subscribe(direct, receiver)
  receiver.behave((n) => (n === 0 ? { status: 500 } : { status: 204 }))
  await createImage(direct, 'outage')
  await waitFor('the first attempt', () => receiver.received.length === 1)
  // Recorded: a recording cut off by the outage would wait for the lease, which is another story.
  await waitFor('its recording', async () => (await deliveriesOf(direct, sub.id))[0]?.attemptLog.length === 1)
  await proxy.cut('refuse')
  // Its retry falls due during the outage; more events are written meanwhile.
  for (let i = 1; i <= 3; i++) await updateImage(direct, 'outage', `during ${i}`)
  await sleep(1500)
  t.equal(receiver.received.length, 1, 'nothing sent while the database is away')
  const restoredAt = Date.now()
  await proxy.restore()
  await waitFor('every event', () => receiver.received.length === 5, 20_000)
  t.ok(receiver.received[1]!.at - restoredAt < 5000, `resumed ${receiver.received[1]!.at - restoredAt} ms after the database came back`)
  const events = receiver.received.map((r) => Number(r.body.id))
  t.equal(events[0], events[1], 'the failed one again first')
  t.same(
    events.slice(1),
    [...events.slice(1)].sort((a, b) => a - b),
    'then in event order'
  )
  t.equal(new Set(events).size, 4)
  await waitFor('recorded', async () => (await deliveriesOf(direct, sub.id)).every((d) => d.status === 'succeeded'))
  t.ok(
    cutOff.logs.some((line) => line.includes('could not take webhook deliveries')),
    'the outage was logged'
  )
})
