import t from 'tap'
import pg from 'pg'
import { pruneOldDeliveries, scheduleDeliveryPruning } from '../../src/webhooks/delivery-retention.js'
import { subscribe, webhookFixture } from './fixture.js'

const { test, tokens } = await webhookFixture(t, { WEBHOOK_DELIVERY_RETENTION_DAYS: '7' })
const db = test.app.db
const DAY = 86_400_000
const sub = await subscribe(test, tokens.pubA, {})
// Paused, so the delivery worker leaves the pending rows below alone.
await test.call({ method: 'PATCH', url: `/v1/webhooks/${sub.id}`, token: tokens.pubA, payload: { status: 'disabled' } })
let nextEventId = 1_000_000

/** Deliveries completed `daysAgo` (null: still pending), each with one attempt. */
async function deliveries(count: number, status: 'succeeded' | 'failed' | 'pending', daysAgo: number | null): Promise<number[]> {
  const completedAt = daysAgo === null ? null : new Date(Date.now() - daysAgo * DAY)
  const rows = await db
    .insertInto('webhookDeliveries')
    .values(Array.from({ length: count }, () => ({ subscriptionId: sub.id, eventId: nextEventId++, status, completedAt })))
    .returning('id')
    .execute()
  await db
    .insertInto('webhookDeliveryAttempts')
    .values(rows.map((r) => ({ deliveryId: r.id, attempt: 1, startedAt: new Date(), durationMs: 5, outcome: 'succeeded' as const })))
    .execute()
  return rows.map((r) => r.id)
}
const remaining = async () => (await db.selectFrom('webhookDeliveries').select('id').orderBy('id').execute()).map((r) => r.id)
const attemptsLeft = async () => (await db.selectFrom('webhookDeliveryAttempts').select('deliveryId').execute()).map((r) => r.deliveryId)

t.test('finished deliveries older than the retention go in batches with their attempts; recent and pending ones stay', async (t) => {
  const oldSucceeded = await deliveries(7, 'succeeded', 8)
  const oldFailed = await deliveries(3, 'failed', 30)
  const recent = await deliveries(4, 'succeeded', 6)
  // A pending delivery has no completion time, however old it is.
  const waiting = await deliveries(2, 'pending', null)
  t.equal(await pruneOldDeliveries(test.app, new Date(), 3), oldSucceeded.length + oldFailed.length)
  t.same(await remaining(), [...recent, ...waiting])
  t.same(
    (await attemptsLeft()).sort((a, b) => a - b),
    [...recent, ...waiting]
  )
  t.equal(await pruneOldDeliveries(test.app), 0, 'nothing left to prune')
  t.equal(await pruneOldDeliveries(test.app, new Date(Date.now() + 2 * DAY)), recent.length, 'the cut-off follows the clock')
})

t.test('one replica at a time: while another holds the pruning lock nothing is deleted', async (t) => {
  const old = await deliveries(3, 'succeeded', 10)
  const other = new pg.Client({ connectionString: test.databaseUrl })
  await other.connect()
  t.teardown(() => other.end())
  await other.query('begin')
  await other.query("select pg_advisory_xact_lock(hashtext('ci-image-store:webhook-delivery-pruning'))")
  t.equal(await pruneOldDeliveries(test.app), 0)
  t.same(
    (await remaining()).filter((id) => old.includes(id)),
    old,
    'all still there'
  )
  await other.query('commit')
  t.equal(await pruneOldDeliveries(test.app), old.length, 'pruned once the lock is free')
})

t.test('the timer prunes by itself and stops when told', async (t) => {
  const old = await deliveries(2, 'failed', 9)
  const stop = scheduleDeliveryPruning(test.app, 50)
  t.teardown(stop)
  for (let i = 0; i < 100 && (await remaining()).some((id) => old.includes(id)); i++) await new Promise((r) => setTimeout(r, 50))
  t.notOk(
    (await remaining()).some((id) => old.includes(id)),
    'pruned by the timer'
  )
  stop()
  const later = await deliveries(1, 'failed', 9)
  await new Promise((r) => setTimeout(r, 300))
  t.same(
    (await remaining()).filter((id) => later.includes(id)),
    later,
    'not pruned after stop'
  )
  t.ok(test.logs.some((line) => line.includes('pruned old webhook deliveries')))
})
