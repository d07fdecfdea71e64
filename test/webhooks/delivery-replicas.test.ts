import t, { type Test } from 'tap'
import { build } from '../helpers/app.js'
import {
  createImage,
  deliveriesOf,
  RECEIVER_ENV,
  sleep,
  startReceiver,
  subscribe,
  updateImage,
  waitFor,
  type Receiver
} from './delivery-rig.js'

const attemptsLogged = (logs: string[]) => logs.filter((line) => line.includes('"msg":"webhook attempt done"')).length

/** Each receiver got each message once, in event order. */
function exactlyOnceInOrder(t: Test, receiver: Receiver, expected: number): void {
  const ids = receiver.received.map((r) => r.webhookId)
  t.equal(new Set(ids).size, ids.length, 'no message twice')
  t.equal(ids.length, expected)
  const events = receiver.received.map((r) => Number(r.body.id))
  t.same(
    events,
    [...events].sort((a, b) => a - b),
    'in event order'
  )
  t.same(receiver.unverified, [])
}

t.test('two replicas on one database: every delivery made exactly once, in order per subscription', async (t) => {
  const env = { ...RECEIVER_ENV, LOG_LEVEL: 'info' }
  const one = await build(t, { env })
  const two = await build(t, { env, databaseUrl: one.databaseUrl })
  await Promise.all([one.app.ready(), two.app.ready()])
  const receivers = await Promise.all([1, 2, 3, 4].map(() => startReceiver(t)))
  for (const [i, receiver] of receivers.entries()) {
    // A receiver that takes a moment keeps a replica busy, so the other takes the next delivery.
    receiver.behave(() => ({ status: 204, delayMs: 5 * (i + 1) }))
    await subscribe(one, receiver)
  }
  const images = ['rep-a', 'rep-b', 'rep-c']
  for (const [i, code] of images.entries()) await createImage(i % 2 === 0 ? one : two, code)
  for (let round = 1; round <= 6; round++) {
    for (const [i, code] of images.entries()) await updateImage((round + i) % 2 === 0 ? one : two, code, `${code} ${round}`)
  }
  const events = images.length * 7
  await waitFor('every delivery', () => receivers.every((r) => r.received.length >= events), 30_000)
  await sleep(500)
  for (const receiver of receivers) exactlyOnceInOrder(t, receiver, events)
  const attempts = await one.app.db.selectFrom('webhookDeliveryAttempts').select(['deliveryId', 'outcome']).execute()
  t.equal(attempts.length, receivers.length * events, 'one attempt per delivery')
  t.ok(
    attempts.every((a) => a.outcome === 'succeeded'),
    'all succeeded'
  )
  const [byOne, byTwo] = [attemptsLogged(one.logs), attemptsLogged(two.logs)]
  t.equal(byOne + byTwo, receivers.length * events, `replica one made ${byOne} attempts, replica two ${byTwo}`)
})

t.test('a restart in the middle of a delivery: handed back at once, nothing lost, order kept', async (t) => {
  const receiver = await startReceiver(t)
  const first = await build(t, { env: RECEIVER_ENV })
  const sub = await subscribe(first, receiver)
  receiver.behave((n) => (n === 0 ? 'hold' : { status: 200 }))
  await createImage(first, 'restarted')
  await updateImage(first, 'restarted', 'after the restart')
  await waitFor('the first request', () => receiver.held() === 1)
  await first.app.close()

  const second = await build(t, { env: RECEIVER_ENV, databaseUrl: first.databaseUrl })
  await second.app.ready()
  const restartedAt = Date.now()
  await waitFor('both events', () => receiver.received.length === 3)
  await waitFor('recorded', async () => (await deliveriesOf(second, sub.id)).every((d) => d.status === 'succeeded'))
  const [cut, again, next] = receiver.received
  t.ok((again?.at ?? 0) - restartedAt < 1000, `sent again ${(again?.at ?? 0) - restartedAt} ms after the new replica started`)
  t.equal(cut?.webhookId, again?.webhookId, 'the cut-short message is sent again, with its webhook-id')
  t.ok(Number(next?.body.id) > Number(again?.body.id), 'then the next event: order kept')
  const [d1, d2] = await deliveriesOf(second, sub.id)
  t.same(
    d1?.attemptLog.map((a) => [a.attempt, a.outcome]),
    [
      [1, 'handed_back'],
      [1, 'succeeded']
    ],
    'the cut-short attempt is logged and not counted'
  )
  t.equal(d1?.attemptLog[0]?.error, 'cut short: this replica was shutting down')
  t.match(d2, { status: 'succeeded', attempts: 1 })
  receiver.release()
})

t.test('a replica that stops hands its delivery to a running one at once, through NOTIFY', async (t) => {
  const receiver = await startReceiver(t)
  const one = await build(t, { env: RECEIVER_ENV })
  const two = await build(t, { env: RECEIVER_ENV, databaseUrl: one.databaseUrl })
  await Promise.all([one.app.ready(), two.app.ready()])
  const sub = await subscribe(one, receiver)
  receiver.behave((n) => (n === 0 ? 'hold' : { status: 200 }))
  await createImage(one, 'handover')
  await waitFor('the first request', () => receiver.held() === 1)
  const [leased] = await deliveriesOf(one, sub.id)
  const holder = [one, two].find((app) => app.app.webhookDelivery.worker.id === leased?.lockedBy)
  const other = holder === one ? two : one
  t.ok(holder, `held by ${leased?.lockedBy}`)
  const closedAt = Date.now()
  await holder?.app.close()
  // The lease would hold it for WEBHOOK_TIMEOUT_MS and more, the other's poll for seconds.
  const ms = await waitFor('the other replica', () => receiver.received.length === 2, 3000)
  t.ok(ms < 1000, `sent again by the other replica ${Date.now() - closedAt} ms after the close began`)
  await waitFor('recorded', async () => (await deliveriesOf(other, sub.id))[0]?.status === 'succeeded')
  t.equal(receiver.received[1]?.webhookId, receiver.received[0]?.webhookId)
  receiver.release()
})

t.test('while the replica drains, the attempt under way finishes and no new one starts', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  const sub = await subscribe(app, receiver)
  receiver.behave((n) => (n === 0 ? 'hold' : { status: 204 }))
  await createImage(app, 'draining')
  await waitFor('the first request', () => receiver.held() === 1)
  app.app.readiness.draining()
  await updateImage(app, 'draining', 'while draining')
  receiver.release(200)
  await waitFor('the held one recorded', async () => (await deliveriesOf(app, sub.id))[0]?.status === 'succeeded')
  await sleep(500)
  t.equal(receiver.received.length, 1, 'the next delivery is left for the other replicas')
  const [first, second] = await deliveriesOf(app, sub.id)
  t.same(
    first?.attemptLog.map((a) => a.outcome),
    ['succeeded'],
    'the attempt under way was not cut short'
  )
  t.match(second, { status: 'pending', attempts: 0, lockedBy: null })
})
