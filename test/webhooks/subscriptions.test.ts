import t from 'tap'
import pg from 'pg'
import { openSigningSecrets } from '../../src/webhooks/signing-secret.js'
import { RECEIVER, subscribe, webhookFixture } from './fixture.js'

const { test, tokens } = await webhookFixture(t)

t.test('create: 201 with Location and the secret once; the project defaults to the token’s only one', async (t) => {
  const res = await test.call({
    method: 'POST',
    url: '/v1/webhooks',
    token: tokens.pubA,
    payload: { url: RECEIVER, events: ['version.released', 'version.withdrawn'], images: ['alpha-img'], description: 'chat' }
  })
  t.equal(res.statusCode, 201, res.body)
  const body = res.json()
  t.equal(res.headers.location, `/v1/webhooks/${body.id}`)
  t.match(body, {
    url: RECEIVER,
    events: ['version.released', 'version.withdrawn'],
    images: ['alpha-img'],
    project: 'proj-a',
    description: 'chat',
    status: 'active',
    disabledReason: null,
    failingSince: null,
    previousSecretExpiresAt: null,
    createdBy: 'pub-a'
  })
  t.match(body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/)
})

t.test('the secret is stored sealed: no column holds it, it opens for signing, and GET, list and logs never show it', async (t) => {
  const created = await subscribe(test, tokens.pubA, {})
  const client = new pg.Client({ connectionString: test.databaseUrl })
  await client.connect()
  t.teardown(() => client.end())
  const { rows } = await client.query('select * from webhook_subscriptions where id = $1', [created.id])
  const raw = rows[0] as Record<string, unknown>
  const secretBytes = Buffer.from(created.secret.slice('whsec_'.length), 'base64')
  for (const [column, value] of Object.entries(raw)) {
    const text = Buffer.isBuffer(value) ? value.toString('latin1') : JSON.stringify(value)
    t.notOk(text.includes(created.secret), `${column} does not hold the secret as text`)
    if (Buffer.isBuffer(value)) t.notOk(value.includes(secretBytes), `${column} does not hold the secret's bytes`)
  }
  const row = await test.app.db.selectFrom('webhookSubscriptions').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow()
  t.same(openSigningSecrets(test.app.secretSealer, row, new Date()), [created.secret])

  const got = await test.call({ method: 'GET', url: `/v1/webhooks/${created.id}`, token: tokens.pubA })
  t.equal(got.statusCode, 200)
  t.notOk('secret' in got.json(), 'GET has no secret member')
  const list = await test.call({ method: 'GET', url: '/v1/webhooks?limit=100' })
  t.notOk(list.body.includes(created.secret), 'the list does not carry it')
  t.notOk(list.body.includes('"secret"'))
  t.notOk(test.logs.join('').includes(created.secret), 'no log line carries it')
  t.notOk(test.logs.join('').includes(created.secret.slice(6, 20)), 'nor a part of it')
})

t.test('get, patch, pause, re-enable and delete', async (t) => {
  const created = await subscribe(test, tokens.pubA, { events: ['version.released'] })
  const url = `/v1/webhooks/${created.id}`
  const patched = await test.call({
    method: 'PATCH',
    url,
    token: tokens.pubA,
    payload: { url: 'https://other.example.com/hook', events: ['*'], images: ['alpha-img', 'alpha-two'], description: 'renamed' }
  })
  t.equal(patched.statusCode, 200, patched.body)
  t.match(patched.json(), {
    url: 'https://other.example.com/hook',
    events: ['*'],
    images: ['alpha-img', 'alpha-two'],
    description: 'renamed'
  })
  t.ok(new Date(patched.json().updatedAt) >= new Date(patched.json().createdAt))

  const cleared = await test.call({ method: 'PATCH', url, token: tokens.pubA, payload: { images: null, description: null } })
  t.match(cleared.json(), { images: null, description: null, url: 'https://other.example.com/hook' })

  const paused = await test.call({ method: 'PATCH', url, token: tokens.pubA, payload: { status: 'disabled' } })
  t.match(paused.json(), { status: 'disabled', disabledReason: 'paused by pub-a' })
  t.ok(paused.json().disabledAt)

  // As the delivery engine leaves one it gave up on.
  await test.app.db
    .updateTable('webhookSubscriptions')
    .set({ disabledReason: 'the receiver answered 410 Gone', failingSince: new Date(Date.now() - 3_600_000) })
    .where('id', '=', created.id)
    .execute()
  const enabled = await test.call({ method: 'PATCH', url, token: tokens.pubA, payload: { status: 'active' } })
  t.match(enabled.json(), { status: 'active', disabledReason: null, disabledAt: null, failingSince: null })

  const same = await test.call({ method: 'PATCH', url, token: tokens.pubA, payload: {} })
  t.equal(same.statusCode, 200)
  t.equal(same.json().updatedAt, enabled.json().updatedAt, 'an empty change changes nothing')

  const deleted = await test.call({ method: 'DELETE', url, token: tokens.pubA })
  t.equal(deleted.statusCode, 204)
  const gone = await test.call({ method: 'GET', url, token: tokens.pubA })
  t.equal(gone.statusCode, 404)
  t.equal(gone.json().code, 'WEBHOOK_NOT_FOUND')
  t.equal((await test.call({ method: 'DELETE', url, token: tokens.pubA })).statusCode, 404)
})

t.test('the project cannot change: project in a PATCH is refused', async (t) => {
  const created = await subscribe(test, tokens.pubA, {})
  const res = await test.call({ method: 'PATCH', url: `/v1/webhooks/${created.id}`, token: tokens.pubA, payload: { project: 'proj-b' } })
  t.equal(res.statusCode, 400)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  const row = await test.app.db.selectFrom('webhookSubscriptions').select('project').where('id', '=', created.id).executeTakeFirstOrThrow()
  t.equal(row.project, 'proj-a')
})

t.test('list: keyset pages oldest first, each subscription once; a project filter', async (t) => {
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await test.call({ method: 'GET', url: `/v1/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ''}` })
    t.equal(res.statusCode, 200)
    const page = res.json<{ items: { id: string; createdAt: string }[]; nextCursor: string | null }>()
    seen.push(...page.items.map((i) => i.id))
    cursor = page.nextCursor
    pages++
  } while (cursor !== null && pages < 50)
  const all = await test.app.db.selectFrom('webhookSubscriptions').select('id').orderBy('createdAt').orderBy('id').execute()
  t.same(
    seen,
    all.map((r) => r.id),
    'every subscription once, in creation order'
  )
  t.ok(pages >= 2, 'more than one page')

  await subscribe(test, tokens.pubB, {})
  const onlyB = await test.call({ method: 'GET', url: '/v1/webhooks?project=proj-b&limit=100' })
  t.ok(onlyB.json().items.length > 0)
  t.ok(onlyB.json().items.every((i: { project: string }) => i.project === 'proj-b'))

  const bad = await test.call({ method: 'GET', url: '/v1/webhooks?cursor=bm90LWEtY3Vyc29y' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'INVALID_CURSOR')
})
