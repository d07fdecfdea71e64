import t from 'tap'
import { build } from '../helpers/app.js'
import { createImage, deliveriesOf, RECEIVER_ENV, startReceiver, subscribe, useShortSchedule, waitFor } from './delivery-rig.js'

t.test('redeliver: the delivery reads as pending and untried until its next attempt, then as that attempt', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  const sub = await subscribe(app, receiver, { events: ['image.associated'] })
  // The first answers fail until the schedule is used up; the delivery fails and the subscription is disabled.
  receiver.behave(() => ({ status: 503 }))
  const worker = await useShortSchedule(t, app)
  await createImage(app, 'flaky')
  await waitFor('the delivery to fail', async () => (await deliveriesOf(app, sub.id))[0]?.status === 'failed')
  await worker.stop()
  const base = `/v1/webhooks/${sub.id}/deliveries`
  const [failed] = await deliveriesOf(app, sub.id)
  t.match(failed, { lastStatusCode: 503, lastError: 'the receiver answered 503' })
  t.equal((await app.call({ method: 'PATCH', url: `/v1/webhooks/${sub.id}`, payload: { status: 'active' } })).statusCode, 200)

  const res = await app.call({ method: 'POST', url: `${base}/${failed?.id}/redeliver` })
  t.equal(res.statusCode, 202, res.body)
  const fresh = { status: 'pending', attempts: 0, lastStatusCode: null, lastError: null, lastDurationMs: null, completedAt: null }
  t.match(res.json(), fresh, 'the answer')
  const detail = await app.call({ method: 'GET', url: `${base}/${failed?.id}` })
  t.match(detail.json(), fresh, 'and what is read back until the next attempt')
  t.equal(detail.json().attemptLog.length, failed?.attemptLog.length, 'the earlier attempts stay in the log')
  const [stored] = await deliveriesOf(app, sub.id)
  t.equal(stored?.lastAttemptAt, null)

  receiver.behave(() => ({ status: 204 }))
  await useShortSchedule(t, app)
  await waitFor('the redelivery', async () => (await deliveriesOf(app, sub.id))[0]?.status === 'succeeded')
  const after = (await app.call({ method: 'GET', url: `${base}/${failed?.id}` })).json()
  t.match(after, { status: 'succeeded', attempts: 1, lastStatusCode: 204, lastError: null })
  t.ok(after.lastDurationMs >= 0)
})
