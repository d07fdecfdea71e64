import t from 'tap'
import { build } from '../helpers/app.js'
import { WITH_KEY } from '../credentials/keys.js'
import { OWNER, addVersion, counts, createCredential, createImage } from './fixtures.js'

const URL = '/v1/images/node-20'

t.test('PATCH: changes the fields given, bumps the ETag, records from → to; a no-op changes nothing', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test, { summary: 'old', labels: ['a'] })
  const res = await test.call({
    method: 'PATCH',
    url: URL,
    headers: { 'if-match': '"r1"' },
    payload: {
      name: 'Node 20 LTS',
      summary: null,
      description: 'long',
      labels: ['a', 'b'],
      visibility: { public: true },
      debugProject: 'sandbox'
    }
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers.etag, '"r2"')
  t.match(res.json(), {
    name: 'Node 20 LTS',
    summary: null,
    description: 'long',
    labels: ['a', 'b'],
    visibility: { public: true, projects: [] },
    debugProject: 'sandbox',
    revision: 2,
    code: 'node-20',
    ownerProject: OWNER
  })
  const [event] = (await test.call({ method: 'GET', url: `${URL}/events?limit=1` })).json().items
  t.same(event.details, {
    changes: {
      name: { from: 'Node.js 20', to: 'Node 20 LTS' },
      summary: { from: 'old', to: null },
      description: { from: null, to: 'long' },
      debugProject: { from: OWNER, to: 'sandbox' },
      labels: { from: ['a'], to: ['a', 'b'] },
      'visibility.public': { from: false, to: true }
    }
  })
  t.match(event, { action: 'image.updated', actor: { name: 'admin', projects: null } })

  const same = await test.call({ method: 'PATCH', url: URL, payload: { name: 'Node 20 LTS', labels: ['a', 'b'] } })
  t.equal(same.statusCode, 200)
  t.equal(same.headers.etag, '"r2"', 'nothing differed: same revision')
  t.equal((await counts(test)).events, 2, 'and no event')
})

t.test('PATCH If-Match: a stale ETag is a 412 and changes nothing; without If-Match the edit applies', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test)
  t.equal((await test.call({ method: 'PATCH', url: URL, payload: { summary: 'first' } })).headers.etag, '"r2"')
  for (const ifMatch of ['"r1"', 'W/"r2"', '"r2x"', 'garbage']) {
    const stale = await test.call({ method: 'PATCH', url: URL, headers: { 'if-match': ifMatch }, payload: { summary: 'lost update' } })
    t.equal(stale.statusCode, 412, ifMatch)
    t.match(stale.json(), { code: 'IMAGE_CHANGED', currentETag: '"r2"' })
  }
  const current = await test.call({ method: 'GET', url: URL })
  t.equal(current.json().summary, 'first')
  // GET tags the revision and the body (an image's lines change on releases, its revision does not).
  t.match(current.headers.etag, /^"r2-[A-Za-z0-9_-]+"$/)
  t.equal((await test.call({ method: 'PATCH', url: URL, headers: { 'if-match': '*' }, payload: { summary: 'any' } })).statusCode, 200)
  t.equal(
    (await test.call({ method: 'PATCH', url: URL, headers: { 'if-match': '"r3"' }, payload: { summary: 'third' } })).headers.etag,
    '"r4"'
  )
})

t.test('PATCH under concurrency: with one If-Match exactly one of ten wins; without, every edit lands once', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test)
  const guarded = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      test.call({ method: 'PATCH', url: URL, headers: { 'if-match': '"r1"' }, payload: { summary: `guarded ${i}` } })
    )
  )
  t.same(guarded.map((r) => r.statusCode).sort(), [200, ...Array(9).fill(412)])
  const free = await Promise.all(
    Array.from({ length: 10 }, (_, i) => test.call({ method: 'PATCH', url: URL, payload: { name: `name ${i}` } }))
  )
  t.same(
    free.map((r) => r.statusCode),
    Array(10).fill(200)
  )
  const image = (await test.call({ method: 'GET', url: URL })).json()
  t.equal(image.revision, 12)
  const events = (await test.call({ method: 'GET', url: `${URL}/events?limit=100` })).json().items
  t.equal(events.length, 12, 'one event per applied change')
  const names = events.filter((e: { details: { changes?: Record<string, unknown> } }) => e.details.changes && 'name' in e.details.changes)
  t.equal(names.length, 10)
})

t.test('PATCH bad input: 400s that change nothing', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test)
  const cases: [unknown, string][] = [
    [{ code: 'node-21' }, 'IMMUTABLE_FIELD'],
    [{ ownerProject: 'web-ci', name: 'x' }, 'IMMUTABLE_FIELD'],
    [{ nmae: 'typo' }, 'VALIDATION_FAILED'],
    [{}, 'VALIDATION_FAILED'],
    [{ owners: ['a'] }, 'VALIDATION_FAILED'],
    [{ name: '' }, 'VALIDATION_FAILED'],
    [{ name: null }, 'VALIDATION_FAILED'],
    [{ visibility: {} }, 'VALIDATION_FAILED'],
    [{ labels: ['UPPER'] }, 'VALIDATION_FAILED'],
    [{ debugProject: 'X' }, 'VALIDATION_FAILED'],
    [{ description: 'd'.repeat(65537) }, 'VALIDATION_FAILED']
  ]
  for (const [payload, code] of cases) {
    const res = await test.call({ method: 'PATCH', url: URL, payload })
    t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 60))
    t.equal(res.json().code, code)
  }
  t.match((await test.call({ method: 'PATCH', url: URL, payload: { code: 'x', ownerProject: 'y' } })).json(), {
    detail: /code and ownerProject cannot be changed/,
    fields: ['code', 'ownerProject']
  })
  t.equal((await test.call({ method: 'PATCH', url: URL, payload: 'name=x', headers: { 'content-type': 'text/plain' } })).statusCode, 415)
  t.equal((await test.call({ method: 'GET', url: URL })).json().revision, 1)
  t.same(await counts(test), { images: 1, events: 1 })
})

t.test('PATCH credential: switch within the owner project, clear with null; foreign or unknown → 422', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const first = await createCredential(test, OWNER, 'first')
  const second = await createCredential(test, OWNER, 'second')
  const foreign = await createCredential(test, 'web-ci', 'foreign')
  await createImage(test, { credentialId: first })
  for (const credentialId of [foreign, '00000000-0000-4000-8000-000000000000']) {
    const res = await test.call({ method: 'PATCH', url: URL, payload: { credentialId } })
    t.equal(res.statusCode, 422)
    t.equal(res.json().code, 'CREDENTIAL_NOT_IN_PROJECT')
  }
  t.equal((await test.call({ method: 'PATCH', url: URL, payload: { credentialId: second } })).json().credentialId, second)
  t.equal((await test.call({ method: 'PATCH', url: URL, payload: { credentialId: null } })).json().credentialId, null)
  const events = (await test.call({ method: 'GET', url: `${URL}/events` })).json().items
  t.same(
    events.map((e: { action: string; details: { changes?: unknown } }) => [e.action, e.details.changes ?? null]),
    [
      ['image.updated', { credentialId: { from: second, to: null } }],
      ['image.updated', { credentialId: { from: first, to: second } }],
      ['image.associated', null]
    ]
  )
})

t.test('PATCH and DELETE: any token of the owner project with images:write, or admin; never by token name', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const alice = await test.token({ name: 'alice', scopes: ['images:write', 'images:read'], projects: [OWNER] })
  const bob = await test.token({ name: 'bob', scopes: ['images:write', 'images:read'], projects: [OWNER] })
  const aliceReadOnly = await test.token({ name: 'alice', scopes: ['images:read'], projects: [OWNER] })
  const outsider = await test.token({ name: 'carol', scopes: ['images:write', 'images:read'], projects: ['web-ci'] })
  // Same name as the publisher, another project: a name is a label, never an identity.
  const lookalike = await test.token({ name: 'alice', scopes: ['images:write', 'images:read'], projects: ['web-ci'] })
  await createImage(test, {}, alice)

  t.equal(
    (await test.call({ method: 'PATCH', url: URL, token: bob, payload: { summary: 'bob' } })).statusCode,
    200,
    'another token of the owner project manages it'
  )
  t.equal(
    (await test.call({ method: 'PATCH', url: URL, token: aliceReadOnly, payload: { summary: 'x' } })).json().code,
    'INSUFFICIENT_SCOPE'
  )
  t.equal(
    (await test.call({ method: 'PATCH', url: URL, token: outsider, payload: { summary: 'x' } })).statusCode,
    404,
    'a private image stays hidden'
  )
  t.equal(
    (await test.call({ method: 'PATCH', url: URL, token: lookalike, payload: { summary: 'x' } })).statusCode,
    404,
    'the same name does not reach it'
  )
  t.equal(
    (await test.call({ method: 'PATCH', url: URL, token: alice, payload: { debugProject: 'sandbox' } })).json().code,
    'PROJECT_NOT_ALLOWED',
    'images:write for the new debug project too'
  )
  t.equal(
    (await test.call({ method: 'PATCH', url: URL, token: alice, payload: { owners: ['alice'] } })).json().code,
    'VALIDATION_FAILED',
    'there is no list of owner names any more'
  )

  // Shared with web-ci: its tokens now see the image, and still may not change it.
  t.equal((await test.call({ method: 'PATCH', url: URL, token: alice, payload: { visibility: { projects: ['web-ci'] } } })).statusCode, 200)
  for (const token of [outsider, lookalike]) {
    const res = await test.call({ method: 'PATCH', url: URL, token, payload: { summary: 'x' } })
    t.equal(res.statusCode, 403)
    t.match(res.json(), { code: 'NOT_IMAGE_OWNER', ownerProject: OWNER })
    t.equal((await test.call({ method: 'DELETE', url: URL, token })).json().code, 'NOT_IMAGE_OWNER')
  }
  t.equal((await test.call({ method: 'PATCH', url: URL, payload: { summary: 'admin' } })).statusCode, 200, 'admin always may')
  t.equal((await test.call({ method: 'GET', url: URL })).json().summary, 'admin')
})

t.test('DELETE: 204 without released versions (unreleased ones go with it); 409 with released or withdrawn ones', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const unreleased = await createImage(test, { code: 'unreleased' })
  await addVersion(test, unreleased.id, '1.0.0', 'testing')
  await addVersion(test, unreleased.id, '0.9.0', 'cancelled')
  const released = await createImage(test, { code: 'released' })
  await addVersion(test, released.id, '1.0.0', 'released', '2026-11-01T00:00:00Z')
  const withdrawn = await createImage(test, { code: 'withdrawn' })
  await addVersion(test, withdrawn.id, '1.0.0', 'withdrawn')

  for (const code of ['released', 'withdrawn']) {
    const res = await test.call({ method: 'DELETE', url: `/v1/images/${code}` })
    t.equal(res.statusCode, 409)
    t.equal(res.json().code, 'IMAGE_HAS_RELEASES')
  }
  t.equal((await test.call({ method: 'DELETE', url: '/v1/images/unreleased', headers: { 'if-match': '"r9"' } })).statusCode, 412)
  t.equal((await test.call({ method: 'DELETE', url: '/v1/images/unreleased', headers: { 'if-match': '"r1"' } })).statusCode, 204)
  t.equal((await test.call({ method: 'GET', url: '/v1/images/unreleased' })).statusCode, 404)
  t.equal((await test.call({ method: 'DELETE', url: '/v1/images/unreleased' })).statusCode, 404)
  t.same(await counts(test), { images: 2, events: 4 }, "three associations and the deletion: the outbox keeps a deleted image's events")
  const deleted = await test.app.db.selectFrom('imageEvents').selectAll().where('imageId', '=', unreleased.id).orderBy('id').execute()
  t.same(
    deleted.map((e) => [e.action, e.imageCode]),
    [
      ['image.associated', 'unreleased'],
      ['image.deleted', 'unreleased']
    ]
  )
  t.equal(
    (await test.call({ method: 'POST', url: '/v1/images', payload: { code: 'unreleased', name: 'again', ownerProject: OWNER } }))
      .statusCode,
    201,
    'the code is free again'
  )
  const trail = (await test.call({ method: 'GET', url: '/v1/images/unreleased/events' })).json()
  t.same(
    trail.items.map((e: { action: string }) => e.action),
    ['image.associated'],
    'the new image with the old code starts with its own audit trail'
  )
})

t.test('events: newest first, paged', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test)
  for (let i = 1; i <= 4; i++) await test.call({ method: 'PATCH', url: URL, payload: { summary: `s${i}` } })
  const seen: string[] = []
  let cursor: string | null = null
  do {
    const res = await test.call({ method: 'GET', url: `${URL}/events?limit=2${cursor ? `&cursor=${cursor}` : ''}` })
    t.equal(res.statusCode, 200)
    const page = res.json() as {
      items: { action: string; details: { changes?: { summary?: { to: string } } } }[]
      nextCursor: string | null
    }
    seen.push(...page.items.map((e) => e.details.changes?.summary?.to ?? e.action))
    cursor = page.nextCursor
  } while (cursor)
  t.same(seen, ['s4', 's3', 's2', 's1', 'image.associated'])
  const bad = Buffer.from(JSON.stringify([1e300])).toString('base64url')
  t.equal((await test.call({ method: 'GET', url: `${URL}/events?cursor=${bad}` })).json().code, 'INVALID_CURSOR')
})
