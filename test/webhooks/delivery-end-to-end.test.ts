import t from 'tap'
import { build } from '../helpers/app.js'
import { publish, push, registryEnv, startTestRegistry } from '../versions/fixtures.js'
import { notify } from '../../src/db/notifications.plugin.js'
import { DELIVERIES_DUE_CHANNEL } from '../../src/webhooks/delivery/dispatch-batch.js'
import { createImage, deliveriesOf, RECEIVER_ENV, startReceiver, subscribe, updateImage, waitFor } from './delivery-rig.js'

t.test('a state change reaches the receiver as a signed structured CloudEvent carrying the catalog event', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  const sub = await subscribe(app, receiver)
  await createImage(app, 'node-20')
  await waitFor('the delivery', () => receiver.received.length === 1)
  await waitFor('its recording', async () => (await deliveriesOf(app, sub.id))[0]?.status === 'succeeded')

  const [got] = receiver.received
  const event = await app.app.db.selectFrom('imageEvents').selectAll().where('imageCode', '=', 'node-20').executeTakeFirstOrThrow()
  const [delivery] = await deliveriesOf(app, sub.id)
  t.same(receiver.unverified, [], 'every signature verifies with the standardwebhooks library')
  t.same(got?.verifiedWith, [sub.secret])
  t.equal(got?.signatures.length, 1, 'one secret, one signature')
  t.match(got?.signatures[0], /^v1,/)
  t.equal(got?.webhookId, `msg_${delivery?.id}`)
  t.ok(Math.abs((got?.timestamp ?? 0) - Date.now() / 1000) < 60, 'webhook-timestamp is now, in seconds')
  t.match(got?.contentType, /^application\/cloudevents\+json/)
  t.match(got?.body, {
    specversion: '1.0',
    id: String(event.id),
    source: '/v1/images/node-20',
    type: 'image.associated',
    time: event.createdAt.toISOString(),
    datacontenttype: 'application/json',
    data: {
      id: Number(event.id),
      type: 'image.associated',
      imageCode: 'node-20',
      project: 'payments',
      actor: { name: 'admin', tokenId: String }
    }
  })
  t.match(delivery, { status: 'succeeded', attempts: 1, lastStatusCode: 204, lockedBy: null })
  t.equal(delivery?.attemptLog.length, 1)
  t.match(delivery?.attemptLog[0], { attempt: 1, outcome: 'succeeded', statusCode: 204 })
})

t.test('events arrive in commit order, only those the subscription asked for', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  // Made before the subscriptions: not sent, subscriptions hear of what happens after they exist.
  await createImage(app, 'img-a')
  await createImage(app, 'img-b')
  const everything = await subscribe(app, receiver)
  const onlyUpdates = await subscribe(app, receiver, { events: ['image.updated'], images: ['img-b'] })
  for (let i = 1; i <= 5; i++) {
    await updateImage(app, 'img-a', `a ${i}`)
    await updateImage(app, 'img-b', `b ${i}`)
  }
  await waitFor('every delivery', () => receiver.received.length === 10 + 5)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(receiver.received.length, 15, 'and no more')
  const ofEverything = receiver.received.filter((r) => r.verifiedWith.includes(everything.secret))
  const ofUpdates = receiver.received.filter((r) => r.verifiedWith.includes(onlyUpdates.secret))
  const ids = (list: typeof ofEverything) => list.map((r) => Number(r.body.id))
  t.equal(ofEverything.length, 10)
  t.ok(
    ofEverything.every((r) => r.body.type === 'image.updated'),
    'nothing from before the subscription'
  )
  t.same(
    ids(ofEverything),
    [...ids(ofEverything)].sort((x, y) => x - y),
    'in event order'
  )
  t.equal(ofUpdates.length, 5)
  t.ok(
    ofUpdates.every((r) => r.body.type === 'image.updated' && (r.body.data as { imageCode: string }).imageCode === 'img-b'),
    'filtered by type and image'
  )
  t.same(receiver.unverified, [])
  const cursor = await app.app.db.selectFrom('webhookDispatchCursor').select('lastEventId').executeTakeFirstOrThrow()
  const last = await app.app.db
    .selectFrom('imageEvents')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirstOrThrow()
  t.equal(Number(cursor.lastEventId), Number(last.max), 'the cursor is at the end of the outbox')
})

t.test('a project subscription hears of its own project only; a disabled one of nothing', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  const publisher = await app.token({ name: 'pub', scopes: ['images:read', 'images:write'], projects: ['payments'] })
  const ofPayments = await subscribe(app, receiver, {}, publisher)
  const disabled = await subscribe(app, receiver)
  await app.app.db.updateTable('webhookSubscriptions').set({ status: 'disabled' }).where('id', '=', disabled.id).execute()
  await createImage(app, 'theirs', 'web')
  await createImage(app, 'ours', 'payments')
  await waitFor('the delivery', () => receiver.received.length === 1)
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(receiver.received.length, 1)
  t.same(receiver.received[0]?.verifiedWith, [ofPayments.secret])
  t.match(receiver.received[0]?.body, { data: { imageCode: 'ours', project: 'payments' } })
  t.same(await deliveriesOf(app, disabled.id), [], 'no delivery is made for a disabled subscription')
})

t.test('metrics: attempts by outcome, lag, pending and the oldest undelivered event', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  await subscribe(app, receiver)
  receiver.behave(() => 'hold')
  await createImage(app, 'met-1')
  await createImage(app, 'met-2')
  await waitFor('the first request', () => receiver.held() === 1)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const scrape = async () => (await app.call({ method: 'GET', url: '/metrics' })).body
  const during = await scrape()
  t.match(during, /^ci_image_store_webhook_deliveries_pending 2$/m, 'both pending: one under way, one waiting behind it')
  const age = Number(/^ci_image_store_webhook_oldest_undelivered_event_age_seconds (\S+)$/m.exec(during)?.[1])
  t.ok(age >= 1 && age < 30, `oldest undelivered event ${age} s old`)

  receiver.behave(() => ({ status: 200 }))
  receiver.release(200)
  await waitFor('both deliveries', () => receiver.received.length === 2)
  await waitFor('both recorded', async () => (await scrape()).includes('ci_image_store_webhook_attempts_total{outcome="succeeded"} 2'))
  const after = await scrape()
  t.match(after, /^ci_image_store_webhook_deliveries_pending 0$/m)
  t.match(after, /^ci_image_store_webhook_oldest_undelivered_event_age_seconds 0$/m)
  t.match(after, /^ci_image_store_webhook_delivery_lag_seconds_count 2$/m)
  const lagSum = Number(/^ci_image_store_webhook_delivery_lag_seconds_sum (\S+)$/m.exec(after)?.[1])
  t.ok(lagSum > 1, `lag includes the time the receiver held the first one (${lagSum} s)`)
})

t.test('a NOTIFY on the deliveries channel wakes the worker', async (t) => {
  // The API's redeliver announces this way; the worker must not wait for its poll.
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  const sub = await subscribe(app, receiver)
  await createImage(app, 'again')
  await waitFor('the delivery', () => receiver.received.length === 1)
  const [delivery] = await deliveriesOf(app, sub.id)
  await app.app.db.transaction().execute(async (trx) => {
    await trx
      .updateTable('webhookDeliveries')
      .set({ status: 'pending', attempts: 0, nextAttemptAt: new Date(), completedAt: null })
      .where('id', '=', delivery?.id ?? 0)
      .execute()
    await notify(trx, DELIVERIES_DUE_CHANNEL, 'redeliver')
  })
  const ms = await waitFor('the redelivery', () => receiver.received.length === 2, 3000)
  t.ok(ms < 3000, `redelivered after ${ms} ms`)
  t.equal(receiver.received[1]?.webhookId, receiver.received[0]?.webhookId, 'the same webhook-id on a redelivery')
})

t.test('a release checked against a real registry reaches the receiver with what to pull', async (t) => {
  const registry = await startTestRegistry(t)
  const pushed = await push(registry, 'team/tools', '2.1')
  const receiver = await startReceiver(t)
  const app = await build(t, { env: { ...registryEnv(registry), ...RECEIVER_ENV } })
  const sub = await subscribe(app, receiver, { events: ['version.submitted', 'version.released'] })
  await createImage(app, 'tools')
  const released = await publish(app, 'tools', { registry: registry.host, repository: 'team/tools', tag: '2.1' })
  await waitFor('both version events', () => receiver.received.length === 2)
  t.same(receiver.types(), ['version.submitted', 'version.released'], 'the subscribed types, in order; nothing else')
  const release = receiver.received[1]
  t.match(release?.body, {
    type: 'version.released',
    source: '/v1/images/tools',
    subject: released.version,
    data: {
      imageCode: 'tools',
      version: released.version,
      digest: pushed.digest,
      pinnedReference: `${registry.host}/team/tools@${pushed.digest}`,
      tag: '2.1',
      platforms: [{ os: 'linux', architecture: 'amd64' }]
    }
  })
  t.same(release?.verifiedWith, [sub.secret])
})
