import t from 'tap'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { subscribe, webhookFixture } from './fixture.js'
import { startReceiver } from './receiver.js'

// The service's own delivery worker runs: what is due is sent to this receiver on loopback.
const receiver = await startReceiver(t)
const { test, tokens } = await webhookFixture(t, { WEBHOOK_ALLOWED_PRIVATE_HOSTS: receiver.hostPort })
const db = test.app.db

// The image.associated events the fixture wrote stand for what the dispatcher delivers.
const events = await db.selectFrom('imageEvents').select(['id', 'action']).orderBy('id').execute()
const sub = await subscribe(test, tokens.pubA, { url: receiver.url })
const otherSub = await subscribe(test, tokens.pubA, { url: receiver.url })
const MINUTE = 60_000

async function delivery(subscriptionId: string, eventId: number, values: Record<string, unknown> = {}): Promise<number> {
  const row = await db
    .insertInto('webhookDeliveries')
    .values({ subscriptionId, eventId, ...values })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

const [e1, e2, e3] = events.map((e) => e.id) as [number, number, number]
const succeeded = await delivery(sub.id, e1, {
  status: 'succeeded',
  attempts: 1,
  lastStatusCode: 204,
  lastDurationMs: 35,
  lastAttemptAt: new Date(),
  completedAt: new Date()
})
const failed = await delivery(sub.id, e2, {
  status: 'failed',
  attempts: 12,
  lastStatusCode: 500,
  lastError: 'the receiver answered 500',
  lastDurationMs: 80,
  lastAttemptAt: new Date(),
  completedAt: new Date()
})
const pending = await delivery(sub.id, e3, {
  attempts: 1,
  lastError: 'connection refused',
  nextAttemptAt: new Date(Date.now() + 5 * MINUTE)
})
const ofOther = await delivery(otherSub.id, e1, { status: 'succeeded', completedAt: new Date() })
await db
  .insertInto('webhookDeliveryAttempts')
  .values([
    {
      deliveryId: failed,
      attempt: 1,
      startedAt: new Date(Date.now() - 2 * MINUTE),
      durationMs: 70,
      statusCode: 503,
      error: 'the receiver answered 503',
      outcome: 'retry'
    },
    {
      deliveryId: failed,
      attempt: 2,
      startedAt: new Date(Date.now() - MINUTE),
      durationMs: 80,
      statusCode: 500,
      error: 'the receiver answered 500',
      outcome: 'failed'
    }
  ])
  .execute()

const base = `/v1/webhooks/${sub.id}/deliveries`

t.test('the log: newest first, each field, filtered by status, keyset-paged', async (t) => {
  const res = await test.call({ method: 'GET', url: base, token: tokens.readerA })
  t.equal(res.statusCode, 200, res.body)
  const { items } = res.json<{ items: Record<string, unknown>[] }>()
  t.same(
    items.map((i) => i.id),
    [pending, failed, succeeded]
  )
  t.same(items[1], {
    id: failed,
    eventId: e2,
    eventType: events[1]?.action,
    status: 'failed',
    attempts: 12,
    lastStatusCode: 500,
    lastError: 'the receiver answered 500',
    lastDurationMs: 80,
    nextAttemptAt: null,
    createdAt: items[1]?.createdAt,
    completedAt: items[1]?.completedAt
  })
  t.ok(items[0]?.nextAttemptAt, 'a pending delivery says when it is tried next')
  t.equal(items[0]?.completedAt, null)

  const onlyFailed = await test.call({ method: 'GET', url: `${base}?status=failed`, token: tokens.readerA })
  t.same(
    onlyFailed.json().items.map((i: { id: number }) => i.id),
    [failed]
  )
  t.equal((await test.call({ method: 'GET', url: `${base}?status=lost` })).statusCode, 400)

  const first = await test.call({ method: 'GET', url: `${base}?limit=2` })
  t.same(
    first.json().items.map((i: { id: number }) => i.id),
    [pending, failed]
  )
  const second = await test.call({ method: 'GET', url: `${base}?limit=2&cursor=${first.json().nextCursor}` })
  t.same(
    second.json().items.map((i: { id: number }) => i.id),
    [succeeded]
  )
  t.equal(second.json().nextCursor, null)
})

t.test('a delivery with its attempts; another subscription’s delivery is not found here', async (t) => {
  const res = await test.call({ method: 'GET', url: `${base}/${failed}`, token: tokens.readerA })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { id: failed, status: 'failed', attempts: 12 })
  t.match(res.json().attemptLog, [
    { attempt: 1, statusCode: 503, outcome: 'retry', durationMs: 70 },
    { attempt: 2, statusCode: 500, outcome: 'failed', error: 'the receiver answered 500' }
  ])
  t.same((await test.call({ method: 'GET', url: `${base}/${succeeded}` })).json().attemptLog, [])
  const foreign = await test.call({ method: 'GET', url: `${base}/${ofOther}` })
  t.equal(foreign.statusCode, 404)
  t.equal(foreign.json().code, 'WEBHOOK_DELIVERY_NOT_FOUND')
  t.equal((await test.call({ method: 'GET', url: `${base}/abc` })).statusCode, 400)
  t.equal((await test.call({ method: 'GET', url: `${base}/${failed}`, token: tokens.pubB })).json().code, 'WEBHOOK_NOT_FOUND')
})

t.test(
  'redeliver: due now with a fresh count, the workers woken in the same commit, then sent again under the same webhook-id',
  async (t) => {
    const listener = new pg.Client({ connectionString: test.databaseUrl })
    await listener.connect()
    t.teardown(() => listener.end())
    const heard: string[] = []
    listener.on('notification', (n) => heard.push(`${n.channel}:${n.payload}`))
    await listener.query('listen webhook_deliveries_due')

    const refused = await test.call({ method: 'POST', url: `${base}/${failed}/redeliver`, token: tokens.readerA })
    t.equal(refused.statusCode, 403, 'reading is not enough')
    const res = await test.call({ method: 'POST', url: `${base}/${failed}/redeliver`, token: tokens.pubA })
    t.equal(res.statusCode, 202, res.body)
    t.match(res.json(), { id: failed, status: 'pending', attempts: 0, completedAt: null })
    t.ok(new Date(res.json().nextAttemptAt).getTime() <= Date.now() + 1000, 'due now')
    for (let i = 0; i < 50 && !heard.includes(`webhook_deliveries_due:${failed}`); i++) await new Promise((r) => setTimeout(r, 20))
    t.ok(heard.includes(`webhook_deliveries_due:${failed}`), 'NOTIFY webhook_deliveries_due names the delivery')

    const message = await receiver.waitFor((r) => r.headers['webhook-id'] === `msg_${failed}`)
    const verified = new Webhook(sub.secret).verify(message.body, message.headers as Record<string, string>) as { id: string; type: string }
    t.equal(verified.id, String(e2), 'the event delivered, signed with the subscription’s secret')

    let detail = (await test.call({ method: 'GET', url: `${base}/${failed}` })).json()
    for (let i = 0; i < 100 && detail.status !== 'succeeded'; i++) {
      await new Promise((r) => setTimeout(r, 50))
      detail = (await test.call({ method: 'GET', url: `${base}/${failed}` })).json()
    }
    t.match(detail, { status: 'succeeded', attempts: 1, lastStatusCode: 204 })
    t.same(
      detail.attemptLog.map((a: { attempt: number; outcome: string }) => [a.attempt, a.outcome]),
      [
        [1, 'retry'],
        [2, 'failed'],
        [1, 'succeeded']
      ],
      'the attempts made before stay in the log, the new ones counted from 1'
    )

    const again = await test.call({ method: 'POST', url: `${base}/${succeeded}/redeliver`, token: tokens.pubA })
    t.equal(again.statusCode, 202, 'a succeeded delivery may be sent again too')
    await receiver.waitFor((r) => r.headers['webhook-id'] === `msg_${succeeded}`)
    t.equal((await test.call({ method: 'POST', url: `${base}/${ofOther}/redeliver` })).statusCode, 404)
  }
)

t.test('redeliver is refused while an attempt is under way or the subscription is disabled', async (t) => {
  await db
    .updateTable('webhookDeliveries')
    .set({ lockedBy: 'replica-1', lockedUntil: new Date(Date.now() + MINUTE) })
    .where('id', '=', pending)
    .execute()
  const busy = await test.call({ method: 'POST', url: `${base}/${pending}/redeliver`, token: tokens.pubA })
  t.equal(busy.statusCode, 409)
  t.equal(busy.json().code, 'WEBHOOK_DELIVERY_IN_PROGRESS')
  const untouched = await db.selectFrom('webhookDeliveries').selectAll().where('id', '=', pending).executeTakeFirstOrThrow()
  t.equal(untouched.lockedBy, 'replica-1')

  // An expired lease is a worker that died: its delivery may be sent again.
  await db
    .updateTable('webhookDeliveries')
    .set({ lockedUntil: new Date(Date.now() - MINUTE) })
    .where('id', '=', pending)
    .execute()
  t.equal((await test.call({ method: 'POST', url: `${base}/${pending}/redeliver`, token: tokens.pubA })).statusCode, 202)

  await test.call({ method: 'PATCH', url: `/v1/webhooks/${sub.id}`, token: tokens.pubA, payload: { status: 'disabled' } })
  const disabled = await test.call({ method: 'POST', url: `${base}/${failed}/redeliver`, token: tokens.pubA })
  t.equal(disabled.statusCode, 409)
  t.equal(disabled.json().code, 'WEBHOOK_DISABLED')
  await test.call({ method: 'PATCH', url: `/v1/webhooks/${sub.id}`, token: tokens.pubA, payload: { status: 'active' } })
})

t.test('deleting a subscription takes its deliveries and attempts with it', async (t) => {
  const doomed = await subscribe(test, tokens.pubA, {})
  const id = await delivery(doomed.id, e1)
  await db
    .insertInto('webhookDeliveryAttempts')
    .values({ deliveryId: id, attempt: 1, startedAt: new Date(), durationMs: 1, outcome: 'retry' })
    .execute()
  t.equal((await test.call({ method: 'DELETE', url: `/v1/webhooks/${doomed.id}`, token: tokens.pubA })).statusCode, 204)
  t.equal((await db.selectFrom('webhookDeliveries').select('id').where('id', '=', id).execute()).length, 0)
  t.equal((await db.selectFrom('webhookDeliveryAttempts').select('id').where('deliveryId', '=', id).execute()).length, 0)
})
