import t, { type Test } from 'tap'
import { sql } from 'kysely'
import { Ajv } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { build } from '../helpers/app.js'
import { EVENT_DETAILS, type EventAction } from '../../src/events/events.schemas.js'
import { subscribe as subscribeVia, webhookFixture } from './fixture.js'
import { createImage, RECEIVER_ENV, startReceiver, subscribe, waitFor } from './delivery-rig.js'

// A type no test here produces: the receiver named in fixture.ts is never contacted.
const QUIET = { events: ['version.released'] }

const { test, tokens } = await webhookFixture(t)
const db = test.app.db

const webhookEvents = (subscriptionId: string) =>
  db
    .selectFrom('imageEvents')
    .selectAll()
    .where('action', 'like', 'webhook.%')
    .where(sql<string>`details->>'subscriptionId'`, '=', subscriptionId)
    .orderBy('id')
    .execute()

type EventRow = Awaited<ReturnType<typeof webhookEvents>>[number]

// ajv-formats is CommonJS: under NodeNext its default export is the module object
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }))

/** Checks an event's details against the schema the contract documents for its action, formats included. */
function checkDetails(t: Test, row: EventRow): void {
  const schema = EVENT_DETAILS[row.action as EventAction] as object | undefined
  if (!schema) return void t.fail(`${row.action} has no details schema`)
  const validate = ajv.compile(schema)
  t.ok(validate(row.details), `${row.action} details match their schema: ${ajv.errorsText(validate.errors)}`)
}

const feedTypes = async (token: string | undefined, subscriptionId: string) => {
  const res = await test.call({ method: 'GET', url: '/v1/events?limit=500', token })
  if (res.statusCode !== 200) throw new Error(`feed: ${res.statusCode} ${res.body}`)
  return res
    .json<{ items: { type: string; details: { subscriptionId?: string } }[] }>()
    .items.filter((e) => e.details.subscriptionId === subscriptionId)
    .map((e) => e.type)
}

t.test('create, edit, rotate, delete: each writes its event, by its actor, never a secret', async (t) => {
  const created = await subscribeVia(test, tokens.pubA, {
    ...QUIET,
    project: 'proj-a',
    images: ['alpha-img'],
    description: 'release notes'
  })
  const edit = (payload: Record<string, unknown>) =>
    test.call({ method: 'PATCH', url: `/v1/webhooks/${created.id}`, token: tokens.pubA, payload })
  t.equal((await edit({ url: 'https://hooks.example.com/other', description: null, status: 'disabled' })).statusCode, 200)
  t.equal((await edit({ url: 'https://hooks.example.com/other', events: QUIET.events })).statusCode, 200, 'sets what is there')
  t.equal((await edit({ status: 'active' })).statusCode, 200)
  const rotate = (graceSeconds: number) =>
    test.call({ method: 'POST', url: `/v1/webhooks/${created.id}/rotate-secret`, token: tokens.pubA, payload: { graceSeconds } })
  const first = await rotate(3600)
  const second = await rotate(0)
  t.equal((await test.call({ method: 'DELETE', url: `/v1/webhooks/${created.id}`, token: tokens.pubA })).statusCode, 204)

  const rows = await webhookEvents(created.id)
  t.same(
    rows.map((r) => r.action),
    ['webhook.created', 'webhook.updated', 'webhook.updated', 'webhook.secret_rotated', 'webhook.secret_rotated', 'webhook.deleted'],
    'an edit that changes nothing writes nothing'
  )
  const pubA = (await db.selectFrom('apiTokens').select('id').where('name', '=', 'pub-a').executeTakeFirstOrThrow()).id
  for (const row of rows) {
    t.match(row, { imageId: null, imageCode: null, ownerProject: 'proj-a', actor: 'pub-a', actorTokenId: pubA, actorProjects: ['proj-a'] })
    checkDetails(t, row)
  }
  const [made, paused, resumed, rotated, cut, deleted] = rows.map((r) => r.details)
  t.same(made, {
    subscriptionId: created.id,
    url: 'https://hooks.example.com/ci',
    events: ['version.released'],
    images: ['alpha-img'],
    project: 'proj-a',
    description: 'release notes'
  })
  t.same(paused, {
    subscriptionId: created.id,
    url: 'https://hooks.example.com/other',
    changes: {
      url: { from: 'https://hooks.example.com/ci', to: 'https://hooks.example.com/other' },
      description: { from: 'release notes', to: null },
      status: { from: 'active', to: 'disabled' }
    }
  })
  t.same(resumed?.changes, { status: { from: 'disabled', to: 'active' } })
  t.same(rotated, {
    subscriptionId: created.id,
    url: 'https://hooks.example.com/other',
    graceSeconds: 3600,
    previousSecretExpiresAt: first.json().previousSecretExpiresAt,
    earlierGraceEnded: false
  })
  t.match(cut, { graceSeconds: 0, previousSecretExpiresAt: null, earlierGraceEnded: true }, 'the first grace was cut short')
  t.match(deleted, { subscriptionId: created.id, url: 'https://hooks.example.com/other', project: 'proj-a', description: null })

  const stored = JSON.stringify(rows)
  for (const secret of [created.secret, first.json().secret, second.json().secret]) {
    t.notOk(stored.includes(secret), 'no signing secret in any event')
    t.notOk(stored.includes(secret.slice('whsec_'.length, 20)), 'nor a piece of one')
  }
})

t.test('a refused change writes no event', async (t) => {
  const before = await db
    .selectFrom('imageEvents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  const foreignImage = await test.call({
    method: 'POST',
    url: '/v1/webhooks',
    token: tokens.pubAB,
    payload: { url: 'https://hooks.example.com/ci', ...QUIET, project: 'proj-a', images: ['beta-img'] }
  })
  t.equal(foreignImage.statusCode, 422)
  const sub = await subscribeVia(test, tokens.pubA, QUIET)
  const badUrl = await test.call({
    method: 'PATCH',
    url: `/v1/webhooks/${sub.id}`,
    token: tokens.pubA,
    payload: { url: 'http://10.0.0.1/x' }
  })
  t.equal(badUrl.statusCode, 400)
  const notTheirs = await test.call({ method: 'DELETE', url: `/v1/webhooks/${sub.id}`, token: tokens.pubB })
  t.equal(notTheirs.statusCode, 404)
  const after = await db
    .selectFrom('imageEvents')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow()
  t.equal(Number(after.n), Number(before.n) + 1, 'only the webhook.created of the one subscription made')
  t.same(
    (await webhookEvents(sub.id)).map((r) => r.action),
    ['webhook.created']
  )
})

t.test('the feed shows them to who may see the subscription, admins alone for a catalog-wide one', async (t) => {
  const ofA = await subscribeVia(test, tokens.pubA, QUIET)
  await test.call({ method: 'PATCH', url: `/v1/webhooks/${ofA.id}`, token: tokens.pubA, payload: { description: 'edited' } })
  const catalogWide = await subscribeVia(test, undefined, { ...QUIET, project: null })

  t.same(await feedTypes(tokens.readerA, ofA.id), ['webhook.created', 'webhook.updated'], "a reader of the subscription's project")
  t.same(await feedTypes(tokens.pubAB, ofA.id), ['webhook.created', 'webhook.updated'])
  t.same(await feedTypes(tokens.pubB, ofA.id), [], 'not another project')
  t.same(await feedTypes(undefined, ofA.id), ['webhook.created', 'webhook.updated'], 'an admin')
  t.same(await feedTypes(undefined, catalogWide.id), ['webhook.created'])
  t.same(await feedTypes(tokens.pubAB, catalogWide.id), [], 'a catalog-wide subscription is not a project’s business')
  const filtered = await test.call({ method: 'GET', url: '/v1/events?type=webhook.updated&limit=500', token: tokens.readerA })
  t.ok(
    filtered.json<{ items: { type: string }[] }>().items.every((e) => e.type === 'webhook.updated'),
    'filtered by type like any event'
  )
})

t.test('they are not subscribable', async (t) => {
  for (const type of ['webhook.created', 'webhook.updated', 'webhook.deleted', 'webhook.secret_rotated']) {
    const res = await test.call({ method: 'POST', url: '/v1/webhooks', payload: { url: 'https://hooks.example.com/ci', events: [type] } })
    t.equal(res.statusCode, 400, type)
    t.equal(res.json().code, 'VALIDATION_FAILED')
  }
})

t.test('they go to no receiver, also not to a subscription of every type', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  await subscribe(app, receiver)
  await subscribe(app, receiver, { events: ['image.deleted'] })
  await createImage(app, 'after-subscribing')
  await waitFor('the image.associated delivery', () => receiver.types().includes('image.associated'))
  await new Promise((resolve) => setTimeout(resolve, 500))
  t.same(receiver.types(), ['image.associated'])
})
