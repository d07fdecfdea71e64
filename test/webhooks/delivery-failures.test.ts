import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { sealSigningSecret, generateSigningSecret } from '../../src/webhooks/signing-secret.js'
import { createReceiverClient } from '../../src/webhooks/delivery/receiver-client.js'
import { judgeFailure } from '../../src/webhooks/delivery/attempt-verdict.js'
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

// The worker's schedule in these tests: 100, 200, 300 ms, then given up (four attempts).
const env = { ...RECEIVER_ENV, WEBHOOK_TIMEOUT_MS: '500' }

const status = async (app: TestApp, subscriptionId: string) =>
  app.app.db.selectFrom('webhookSubscriptions').selectAll().where('id', '=', subscriptionId).executeTakeFirstOrThrow()
const disabledEvents = async (app: TestApp) =>
  app.app.db.selectFrom('imageEvents').selectAll().where('action', '=', 'webhook.disabled').orderBy('id').execute()

/** Two events for one image: its association and an update. */
async function twoEvents(app: TestApp, code: string): Promise<void> {
  await createImage(app, code)
  await updateImage(app, code, `${code} renamed`)
}

t.test('500 then 200: retried on the schedule, and the next event waits until the first succeeded', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env })
  await useShortSchedule(t, app)
  const sub = await subscribe(app, receiver)
  receiver.behave((n) => (n === 0 ? { status: 500 } : n === 1 ? 'hold' : { status: 200 }))
  await twoEvents(app, 'flaky')
  await waitFor('the retry', () => receiver.held() === 1)
  t.ok((await status(app, sub.id)).failingSince instanceof Date, 'failing since the first failure')
  await sleep(300)
  t.equal(receiver.received.length, 2, 'the second event is not sent while the first is unanswered')
  receiver.release(200)
  await waitFor('both events', () => receiver.received.length === 3)
  const [first, retry, second] = receiver.received
  t.equal(first?.webhookId, retry?.webhookId, 'the retry has the same webhook-id')
  t.equal(first?.body.id, retry?.body.id)
  t.ok(Number(second?.body.id) > Number(first?.body.id), 'in event order')
  t.ok((retry?.at ?? 0) - (first?.at ?? 0) >= 100, `retried after ${(retry?.at ?? 0) - (first?.at ?? 0)} ms, the first step`)
  await waitFor('recorded', async () => (await deliveriesOf(app, sub.id)).every((d) => d.status === 'succeeded'))
  const [d1, d2] = await deliveriesOf(app, sub.id)
  t.same(
    d1?.attemptLog.map((a) => [a.attempt, a.outcome, a.statusCode]),
    [
      [1, 'retry', 500],
      [2, 'succeeded', 200]
    ]
  )
  t.equal(d1?.attemptLog[0]?.error, 'the receiver answered 500')
  t.same(
    d2?.attemptLog.map((a) => a.outcome),
    ['succeeded']
  )
  t.equal((await status(app, sub.id)).failingSince, null, 'a success clears failing_since')
  t.same(receiver.unverified, [])
})

t.test('429 with Retry-After: the next attempt waits as long as the receiver asked', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env })
  await useShortSchedule(t, app)
  const sub = await subscribe(app, receiver)
  const inTwoSeconds = () => new Date(Date.now() + 2000).toUTCString()
  receiver.behave((n) =>
    n === 0
      ? { status: 429, headers: { 'retry-after': '1' } }
      : n === 1
        ? { status: 503, headers: { 'retry-after': inTwoSeconds() } }
        : { status: 204 }
  )
  await createImage(app, 'limited')
  await waitFor('three attempts', () => receiver.received.length === 3)
  const [a, b, c] = receiver.received.map((r) => r.at)
  t.ok((b ?? 0) - (a ?? 0) >= 1000, `Retry-After: 1 → waited ${(b ?? 0) - (a ?? 0)} ms (the schedule says 100)`)
  // An HTTP date has whole seconds: at least one second is certain.
  t.ok((c ?? 0) - (b ?? 0) >= 1000, `Retry-After as an HTTP date → waited ${(c ?? 0) - (b ?? 0)} ms (the schedule says 200)`)
  await waitFor('recorded', async () => (await deliveriesOf(app, sub.id))[0]?.status === 'succeeded')
  t.same(
    (await deliveriesOf(app, sub.id))[0]?.attemptLog.map((x) => [x.outcome, x.statusCode]),
    [
      ['retry', 429],
      ['retry', 503],
      ['succeeded', 204]
    ]
  )
})

t.test('a receiver that does not answer in time: the attempt is cut at WEBHOOK_TIMEOUT_MS and retried', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env })
  await useShortSchedule(t, app)
  const sub = await subscribe(app, receiver)
  receiver.behave((n) => (n === 0 ? 'hold' : { status: 200 }))
  await createImage(app, 'slowpoke')
  await waitFor('the retry', () => receiver.received.length === 2)
  await waitFor('recorded', async () => (await deliveriesOf(app, sub.id))[0]?.status === 'succeeded')
  const [delivery] = await deliveriesOf(app, sub.id)
  const [timedOut, succeeded] = delivery?.attemptLog ?? []
  t.match(timedOut, {
    outcome: 'retry',
    statusCode: null,
    error: '127.0.0.1:' + receiver.port + ' did not answer within 500 ms (WEBHOOK_TIMEOUT_MS)'
  })
  t.ok((timedOut?.durationMs ?? 0) >= 450 && (timedOut?.durationMs ?? 0) < 2000, `cut after ${timedOut?.durationMs} ms`)
  t.match(succeeded, { outcome: 'succeeded', statusCode: 200 })
  receiver.release()
})

t.test('410: the subscription is disabled, a webhook.disabled event says so, later events wait', async (t) => {
  const receiver = await startReceiver(t)
  const watcher = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  await useShortSchedule(t, app)
  const sub = await subscribe(app, receiver)
  // A catalog-wide subscription of another receiver: it must not hear of the disabling either.
  await subscribe(app, watcher)
  // The first answer waits until both events are dispatched to it: the second is then pending.
  receiver.behave(() => 'hold')
  await twoEvents(app, 'gone-away')
  await waitFor('both dispatched', async () => (await deliveriesOf(app, sub.id)).length === 2)
  await waitFor('the first request', () => receiver.held() === 1)
  receiver.release(410)
  await waitFor('disabled', async () => (await status(app, sub.id)).status === 'disabled')
  await waitFor('the watcher got both', () => watcher.received.length === 2)
  await sleep(400)
  t.equal(receiver.received.length, 1, 'one attempt: 410 is not retried, and the next event is not sent')
  const row = await status(app, sub.id)
  t.match(row, { status: 'disabled', disabledReason: 'the receiver answered 410 Gone' })
  t.ok(row.disabledAt instanceof Date)
  const [d1, d2] = await deliveriesOf(app, sub.id)
  t.match(d1, { status: 'failed', lastStatusCode: 410, attempts: 1 })
  t.same(
    d1?.attemptLog.map((a) => a.outcome),
    ['gone']
  )
  t.match(d2, { status: 'pending', attempts: 0 }, 'kept for when the subscription is enabled again')
  const events = await disabledEvents(app)
  t.equal(events.length, 1)
  t.match(events[0], {
    action: 'webhook.disabled',
    imageCode: null,
    ownerProject: null,
    actor: 'webhook-delivery',
    details: { subscriptionId: sub.id, url: receiver.url, reason: 'the receiver answered 410 Gone' }
  })
  t.same(watcher.types(), ['image.associated', 'image.updated'], 'webhook.disabled goes to no subscription')
})

t.test('connection refused until the schedule is used up: failed, disabled for sustained failure, with an event', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env })
  await useShortSchedule(t, app)
  const sub = await subscribe(app, receiver)
  await receiver.close()
  await createImage(app, 'nobody-home')
  await waitFor('disabled', async () => (await status(app, sub.id)).status === 'disabled')
  const [delivery] = await deliveriesOf(app, sub.id)
  t.match(delivery, { status: 'failed', attempts: 4, lastStatusCode: null })
  t.same(
    delivery?.attemptLog.map((a) => a.outcome),
    ['retry', 'retry', 'retry', 'failed']
  )
  t.ok(
    delivery?.attemptLog.every((a) => a.error === `could not connect to 127.0.0.1:${receiver.port} (connection refused)`),
    'each attempt says why'
  )
  const row = await status(app, sub.id)
  t.equal(
    row.disabledReason,
    `sustained failure: 4 attempts failed; the last: could not connect to 127.0.0.1:${receiver.port} (connection refused)`
  )
  t.ok(row.failingSince instanceof Date)
  const events = await disabledEvents(app)
  t.equal(events.length, 1)
  t.match(events[0]?.details, { subscriptionId: sub.id, reason: row.disabledReason })
})

t.test('a redirect is not followed: the attempt fails and the target hears nothing', async (t) => {
  const receiver = await startReceiver(t)
  const elsewhere = await startReceiver(t)
  const app = await build(t, { env })
  await useShortSchedule(t, app)
  const sub = await subscribe(app, receiver)
  receiver.behave((n) => (n === 0 ? { status: 307, headers: { location: elsewhere.url } } : { status: 204 }))
  await createImage(app, 'moved')
  await waitFor('recorded', async () => (await deliveriesOf(app, sub.id))[0]?.status === 'succeeded')
  t.equal(elsewhere.received.length, 0, 'the redirect target got nothing')
  const [delivery] = await deliveriesOf(app, sub.id)
  t.match(delivery?.attemptLog[0], {
    outcome: 'retry',
    statusCode: 307,
    error: `the receiver answered 307, a redirect to ${elsewhere.url}, which is not followed`
  })
})

t.test('a receiver on a private address is refused unless WEBHOOK_ALLOWED_PRIVATE_HOSTS lists it', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: { LOG_LEVEL: 'warn', WEBHOOK_TIMEOUT_MS: '500' } })
  await useShortSchedule(t, app)
  // The API refuses such a URL up front; a row from before the allow-list changed is refused when sent.
  const insert = async (url: string) => {
    const id = crypto.randomUUID()
    const sealed = sealSigningSecret(app.app.secretSealer, id, generateSigningSecret())
    await app.app.db
      .insertInto('webhookSubscriptions')
      .values({
        id,
        url,
        eventTypes: ['*'],
        imageCodes: null,
        project: null,
        secretCiphertext: sealed.ciphertext,
        secretKeyId: sealed.keyId,
        createdBy: 'test'
      })
      .execute()
    return id
  }
  const byAddress = await insert(receiver.url)
  const byName = await insert(`https://localhost:${receiver.port}/hooks`)
  await createImage(app, 'private')
  await waitFor('attempts on both', async () => {
    const all = [...(await deliveriesOf(app, byAddress)), ...(await deliveriesOf(app, byName))]
    return all.length === 2 && all.every((d) => d.attemptLog.length >= 2)
  })
  t.equal(receiver.received.length, 0, 'no request reached the receiver')
  const [viaAddress] = await deliveriesOf(app, byAddress)
  const [viaName] = await deliveriesOf(app, byName)
  t.match(viaAddress?.attemptLog[0]?.error, /^the receiver URL is refused: .*WEBHOOK_ALLOWED_PRIVATE_HOSTS/)
  t.match(viaName?.attemptLog[0]?.error, /^the receiver URL is refused: the receiver localhost is refused: it is a loopback name/)
})

t.test('the guard also refuses at connect time, whatever the URL check said', async (t) => {
  const receiver = await startReceiver(t)
  const message = { body: '{}', headers: { 'content-type': 'application/json' } }
  const refusing = createReceiverClient({ allowedPrivateHosts: [], timeoutMs: 1000 })
  t.teardown(() => refusing.close())
  const error = await refusing.post(receiver.url, message, AbortSignal.timeout(1000)).then(
    () => undefined,
    (err: unknown) => err
  )
  t.match(judgeFailure(error, `127.0.0.1:${receiver.port}`, 1000), {
    outcome: 'retry',
    error: /^refused to connect to 127\.0\.0\.1: it is a loopback address \(list the receiver in WEBHOOK_ALLOWED_PRIVATE_HOSTS/
  })
  const allowing = createReceiverClient({ allowedPrivateHosts: [`127.0.0.1:${receiver.port}`], timeoutMs: 1000 })
  t.teardown(() => allowing.close())
  t.match(await allowing.post(receiver.url, message, AbortSignal.timeout(1000)).catch(() => undefined), { statusCode: 204 })
  t.equal(receiver.received.length, 1, 'only the allowed client reached it')
})
