import t from 'tap'
import { build } from '../helpers/app.js'
import { WITH_KEY } from '../credentials/keys.js'
import { OWNER, counts, createCredential, imageBody } from './fixtures.js'

t.test('create: 201 with Location and ETag; defaults; the token becomes the first owner; associated event', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const publisher = await test.token({ name: 'payments-publisher', scopes: ['images:write', 'images:read'], projects: [OWNER] })
  const res = await test.call({ method: 'POST', url: '/v1/images', token: publisher, payload: imageBody() })
  t.equal(res.statusCode, 201)
  t.equal(res.headers.location, '/v1/images/node-20')
  t.equal(res.headers.etag, '"r1"')
  const image = res.json()
  t.match(image, {
    code: 'node-20',
    name: 'Node.js 20',
    ownerProject: OWNER,
    debugProject: OWNER,
    credentialId: null,
    summary: null,
    description: null,
    labels: [],
    visibility: { public: false, projects: [] },
    revision: 1,
    lastReleasedAt: null,
    createdBy: 'payments-publisher'
  })
  const events = (await test.call({ method: 'GET', url: '/v1/images/node-20/events' })).json().items
  t.equal(events.length, 1)
  t.match(events[0], {
    action: 'image.associated',
    actor: { name: 'payments-publisher', projects: [OWNER] },
    version: null,
    details: { code: 'node-20', ownerProject: OWNER, debugProject: OWNER, credentialId: null }
  })
  t.notOk('owners' in events[0].details, 'ownership is the owner project, not a list of names')
  t.equal(events[0].requestId, res.headers['x-request-id'])
})

t.test('create with every field: debug project, own credential, labels, visibility', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const credentialId = await createCredential(test)
  const body = imageBody({
    debugProject: 'payments-sandbox',
    credentialId,
    summary: 'Node.js 20 and npm',
    description: '# Node\nBased on bookworm.',
    labels: ['nodejs', 'build'],
    visibility: { public: false, projects: ['web-ci', 'mobile-ci'] }
  })
  const res = await test.call({ method: 'POST', url: '/v1/images', payload: body })
  t.equal(res.statusCode, 201)
  t.match(res.json(), {
    debugProject: 'payments-sandbox',
    credentialId,
    summary: 'Node.js 20 and npm',
    labels: ['nodejs', 'build'],
    visibility: { public: false, projects: ['web-ci', 'mobile-ci'] }
  })
  t.equal(
    (await test.call({ method: 'POST', url: '/v1/images', payload: imageBody({ code: 'pub', visibility: { public: true } }) })).json()
      .visibility.public,
    true
  )
})

t.test('a taken code is a 409 naming the code; nothing changes', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  t.equal((await test.call({ method: 'POST', url: '/v1/images', payload: imageBody() })).statusCode, 201)
  const before = await counts(test)
  const res = await test.call({ method: 'POST', url: '/v1/images', payload: imageBody({ ownerProject: 'web-ci', name: 'Other' }) })
  t.equal(res.statusCode, 409)
  t.match(res.json(), { code: 'IMAGE_CODE_TAKEN', imageCode: 'node-20', detail: /"node-20" is already taken/ })
  t.equal(res.json().code, 'IMAGE_CODE_TAKEN')
  t.same(await counts(test), before)
  t.equal((await test.call({ method: 'GET', url: '/v1/images/node-20' })).json().name, 'Node.js 20', 'the first image is untouched')
})

t.test('20 concurrent creations of one code: exactly one 201, nineteen 409, one image, one event', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      test.call({ method: 'POST', url: '/v1/images', payload: imageBody({ code: 'race', name: `attempt ${i}` }) })
    )
  )
  const statuses = results.map((r) => r.statusCode).sort()
  t.same(statuses, [201, ...Array(19).fill(409)])
  t.ok(results.filter((r) => r.statusCode === 409).every((r) => r.json().code === 'IMAGE_CODE_TAKEN'))
  t.same(await counts(test), { images: 1, events: 1 })
})

t.test('bad input: a clear 400 and nothing stored', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const cases: [string, unknown][] = [
    ['code too short', imageBody({ code: 'ab' })],
    ['code too long', imageBody({ code: `a${'b'.repeat(64)}` })],
    ['code starting with a digit', imageBody({ code: '1node' })],
    ['code with upper case', imageBody({ code: 'Node-20' })],
    ['code with a dot', imageBody({ code: 'node.20' })],
    ['malformed owner project', imageBody({ ownerProject: 'Payments CI' })],
    ['malformed debug project', imageBody({ debugProject: 'x' })],
    ['empty name', imageBody({ name: '' })],
    ['name over 200', imageBody({ name: 'n'.repeat(201) })],
    ['summary over 500', imageBody({ summary: 's'.repeat(501) })],
    ['description over 64 KiB', imageBody({ description: 'd'.repeat(65537) })],
    ['NUL in the name', imageBody({ name: 'a\u0000b' })],
    ['51 labels', imageBody({ labels: Array.from({ length: 51 }, (_, i) => `l${i}`) })],
    ['label over 64', imageBody({ labels: ['l'.repeat(65)] })],
    ['label with a space', imageBody({ labels: ['two words'] })],
    ['duplicate labels', imageBody({ labels: ['a', 'a'] })],
    ['501 visibility projects', imageBody({ visibility: { public: false, projects: Array.from({ length: 501 }, (_, i) => `p${i}`) } })],
    ['malformed visibility project', imageBody({ visibility: { public: false, projects: ['Bad Project'] } })],
    ['unknown visibility field', imageBody({ visibility: { public: true, everyone: true } })],
    ['malformed credential id', imageBody({ credentialId: 'robot' })],
    ['unknown property', imageBody({ owner: 'me' })],
    ['owners on create', imageBody({ owners: ['x'] })],
    ['missing name', { code: 'node-20', ownerProject: OWNER }],
    ['not an object', ['node-20']]
  ]
  for (const [what, payload] of cases) {
    const res = await test.call({ method: 'POST', url: '/v1/images', payload })
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().code, 'VALIDATION_FAILED', what)
  }
  const unknown = await test.call({ method: 'POST', url: '/v1/images', payload: imageBody({ owner: 'me' }) })
  t.match(unknown.json().detail, 'body.owner is not a known property')
  t.same(await counts(test), { images: 0, events: 0 })
  const max = await test.call({
    method: 'POST',
    url: '/v1/images',
    payload: imageBody({
      code: `a${'b'.repeat(63)}`,
      name: 'n'.repeat(200),
      summary: 's'.repeat(500),
      description: 'd'.repeat(65536),
      labels: Array.from({ length: 50 }, (_, i) => `l${i}`)
    })
  })
  t.equal(max.statusCode, 201, 'every limit itself is accepted')
})

t.test('credential must belong to the owner project: another project or an unknown one → 422, nothing stored', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const foreign = await createCredential(test, 'web-ci')
  for (const credentialId of [foreign, '00000000-0000-4000-8000-000000000000']) {
    const res = await test.call({ method: 'POST', url: '/v1/images', payload: imageBody({ credentialId }) })
    t.equal(res.statusCode, 422)
    t.match(res.json(), {
      code: 'CREDENTIAL_NOT_IN_PROJECT',
      credentialId,
      project: OWNER,
      detail: /does not exist in project "payments-ci"/
    })
  }
  t.same(await counts(test), { images: 0, events: 0 })
})

t.test('who may create: images:write for the owner and the debug project', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const reader = await test.token({ name: 'reader', scopes: ['images:read'] })
  const ownerOnly = await test.token({ name: 'owner-only', scopes: ['images:write'], projects: [OWNER] })
  const both = await test.token({ name: 'both', scopes: ['images:write'], projects: [OWNER, 'payments-sandbox'] })
  const cases: [string | null, Record<string, unknown>, number, string | undefined][] = [
    [null, imageBody(), 401, 'AUTHENTICATION_REQUIRED'],
    [reader, imageBody(), 403, 'INSUFFICIENT_SCOPE'],
    [ownerOnly, imageBody({ ownerProject: 'web-ci' }), 403, 'PROJECT_NOT_ALLOWED'],
    [ownerOnly, imageBody({ debugProject: 'payments-sandbox' }), 403, 'PROJECT_NOT_ALLOWED']
  ]
  for (const [token, payload, status, code] of cases) {
    const res = await test.call({ method: 'POST', url: '/v1/images', token, payload })
    t.equal(res.statusCode, status)
    t.equal(res.json().code, code)
  }
  t.same(await counts(test), { images: 0, events: 0 })
  t.equal(
    (await test.call({ method: 'POST', url: '/v1/images', token: both, payload: imageBody({ debugProject: 'payments-sandbox' }) }))
      .statusCode,
    201
  )
  t.equal(
    (await test.call({ method: 'POST', url: '/v1/images', token: ownerOnly, payload: imageBody({ code: 'node-22' }) })).statusCode,
    201
  )
})
