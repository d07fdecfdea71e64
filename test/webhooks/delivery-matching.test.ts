import t from 'tap'
import { matches, type MatchableEvent, type MatchableSubscription } from '../../src/webhooks/delivery/matching.js'

const created = new Date('2026-12-01T10:00:00Z')
const later = new Date('2026-12-01T11:00:00Z')
const sub = (over: Partial<MatchableSubscription> = {}): MatchableSubscription => ({
  status: 'active',
  eventTypes: ['*'],
  imageCodes: null,
  project: null,
  createdAt: created,
  ...over
})
const event = (over: Partial<MatchableEvent> = {}): MatchableEvent => ({
  type: 'version.released',
  imageCode: 'node-20',
  project: 'payments',
  time: later,
  ...over
})

t.test('catalog-wide with every type hears every event', async (t) => {
  t.ok(matches(sub(), event()))
  t.ok(matches(sub(), event({ type: 'image.deleted', project: 'other' })))
})

t.test('a disabled subscription hears nothing', async (t) => {
  t.notOk(matches(sub({ status: 'disabled' }), event()))
})

t.test('event types: listed ones only, or every one with *', async (t) => {
  t.ok(matches(sub({ eventTypes: ['version.released', 'version.withdrawn'] }), event()))
  t.notOk(matches(sub({ eventTypes: ['version.withdrawn'] }), event()))
  t.notOk(matches(sub({ eventTypes: [] }), event()))
})

t.test('image codes: listed images only; null means every image of its scope', async (t) => {
  t.ok(matches(sub({ imageCodes: ['node-20', 'go-1'] }), event()))
  t.notOk(matches(sub({ imageCodes: ['go-1'] }), event()))
  t.notOk(matches(sub({ imageCodes: ['go-1'] }), event({ imageCode: null })))
})

t.test("a project subscription hears of its project's images only, by the owner at the time", async (t) => {
  t.ok(matches(sub({ project: 'payments' }), event()))
  t.notOk(matches(sub({ project: 'web' }), event()))
  t.notOk(matches(sub({ project: 'payments' }), event({ project: null, imageCode: null, type: 'image.x' })))
})

t.test('webhook.disabled goes to no subscription', async (t) => {
  const disabled = event({ type: 'webhook.disabled', imageCode: null, project: 'payments' })
  t.notOk(matches(sub(), disabled))
  t.notOk(matches(sub({ project: 'payments' }), disabled))
  t.notOk(matches(sub({ eventTypes: ['webhook.disabled'] }), disabled))
})

t.test('events from before the subscription existed are not sent', async (t) => {
  t.notOk(matches(sub({ createdAt: later }), event({ time: created })))
  t.ok(matches(sub({ createdAt: later }), event({ time: later })))
})
