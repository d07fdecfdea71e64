import t from 'tap'
import { RECEIVER, subscribe, webhookFixture } from './fixture.js'

const { test, tokens } = await webhookFixture(t)
const create = (token: string | undefined, payload: Record<string, unknown>) =>
  test.call({ method: 'POST', url: '/v1/webhooks', token, payload: { url: RECEIVER, events: ['*'], ...payload } })

t.test('a project subscription needs images:write for that project', async (t) => {
  t.equal((await create(tokens.pubA, { project: 'proj-a' })).statusCode, 201)
  const other = await create(tokens.pubA, { project: 'proj-b' })
  t.equal(other.statusCode, 403)
  t.match(other.json(), { code: 'PROJECT_NOT_ALLOWED', project: 'proj-b' })
  const reader = await create(tokens.readerA, { project: 'proj-a' })
  t.equal(reader.statusCode, 403)
  t.match(reader.json(), { code: 'INSUFFICIENT_SCOPE', requiredScope: 'images:write' })
  t.equal((await create(tokens.resolver, {})).json().code, 'INSUFFICIENT_SCOPE')
  t.equal((await create(tokens.unrestricted, { project: 'proj-b' })).statusCode, 201, 'a token for every project may subscribe any')
  t.equal((await create(null as unknown as string, {})).statusCode, 401)
})

t.test('without project: the only project of the token, catalog-wide for admin, else 400', async (t) => {
  t.equal((await create(tokens.pubB, {})).json().project, 'proj-b')
  t.equal((await create(undefined, {})).json().project, null, 'admin: catalog-wide')
  for (const token of [tokens.pubAB, tokens.unrestricted]) {
    const res = await create(token, {})
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'WEBHOOK_PROJECT_REQUIRED')
  }
  t.same((await create(tokens.pubAB, {})).json().projects, ['proj-a', 'proj-b'])
})

t.test('catalog-wide (project null) needs admin', async (t) => {
  for (const token of [tokens.pubA, tokens.unrestricted]) {
    const res = await create(token, { project: null })
    t.equal(res.statusCode, 403)
    t.match(res.json(), { code: 'INSUFFICIENT_SCOPE', requiredScope: 'admin' })
  }
  const admin = await create(undefined, { project: null, images: ['alpha-img', 'beta-img'] })
  t.equal(admin.statusCode, 201, 'admin may limit a catalog-wide subscription to images of any project')
  t.equal(admin.json().project, null)
})

t.test('listed images: 404 when the token cannot see one, 422 when it belongs to another project', async (t) => {
  const hidden = await create(tokens.pubA, { images: ['beta-img'] })
  t.equal(hidden.statusCode, 404)
  t.equal(hidden.json().code, 'IMAGE_NOT_FOUND')
  t.equal((await create(tokens.pubA, { images: ['no-such-image'] })).json().code, 'IMAGE_NOT_FOUND')
  const elsewhere = await create(tokens.pubAB, { project: 'proj-a', images: ['alpha-img', 'beta-img'] })
  t.equal(elsewhere.statusCode, 422)
  t.match(elsewhere.json(), { code: 'IMAGE_NOT_IN_WEBHOOK_PROJECT', image: 'beta-img', ownerProject: 'proj-b', project: 'proj-a' })
  const created = await subscribe(test, tokens.pubAB, { project: 'proj-a', images: ['alpha-img'] })
  const patch = await test.call({
    method: 'PATCH',
    url: `/v1/webhooks/${created.id}`,
    token: tokens.pubAB,
    payload: { images: ['beta-img'] }
  })
  t.equal(patch.statusCode, 422, 'the same rule when images change')
})

t.test('other projects’ and catalog-wide subscriptions are not found; readers read, only writers change', async (t) => {
  const ofA = await subscribe(test, tokens.pubA, {})
  const catalog = await subscribe(test, undefined, { project: null })
  const ofB = await subscribe(test, tokens.pubB, {})
  const routes = (id: string) => [
    { method: 'GET' as const, url: `/v1/webhooks/${id}` },
    { method: 'PATCH' as const, url: `/v1/webhooks/${id}`, payload: { description: 'x' } },
    { method: 'POST' as const, url: `/v1/webhooks/${id}/rotate-secret`, payload: {} },
    { method: 'GET' as const, url: `/v1/webhooks/${id}/deliveries` },
    { method: 'DELETE' as const, url: `/v1/webhooks/${id}` }
  ]
  for (const id of [ofB.id, catalog.id]) {
    for (const route of routes(id)) {
      const res = await test.call({ ...route, token: tokens.pubA })
      t.equal(res.statusCode, 404, `${route.method} ${route.url} by pub-a`)
      t.equal(res.json().code, 'WEBHOOK_NOT_FOUND')
    }
  }
  for (const route of routes(catalog.id).slice(0, 4)) {
    t.equal((await test.call({ ...route, token: tokens.unrestricted })).statusCode, 404, 'catalog-wide is admin only')
  }
  t.equal((await test.call({ method: 'GET', url: `/v1/webhooks/${ofA.id}`, token: tokens.readerA })).statusCode, 200)
  t.equal((await test.call({ method: 'GET', url: `/v1/webhooks/${ofA.id}/deliveries`, token: tokens.readerA })).statusCode, 200)
  const write = await test.call({ method: 'PATCH', url: `/v1/webhooks/${ofA.id}`, token: tokens.readerA, payload: { description: 'x' } })
  t.equal(write.statusCode, 403)
  t.equal(write.json().code, 'INSUFFICIENT_SCOPE')
  t.equal((await test.call({ method: 'GET', url: `/v1/webhooks/${ofA.id}`, token: tokens.resolver })).json().code, 'INSUFFICIENT_SCOPE')
  t.equal((await test.call({ method: 'GET', url: `/v1/webhooks/${ofB.id}`, token: tokens.pubAB })).statusCode, 200)
  t.equal((await test.call({ method: 'GET', url: `/v1/webhooks/${catalog.id}` })).statusCode, 200, 'admin sees catalog-wide')
})

t.test('list: admin every subscription, others only those of their projects', async (t) => {
  const projectsSeen = async (token: string | undefined) => {
    const res = await test.call({ method: 'GET', url: '/v1/webhooks?limit=100', token })
    t.equal(res.statusCode, 200)
    return new Set(res.json<{ items: { project: string | null }[] }>().items.map((i) => i.project))
  }
  t.same([...(await projectsSeen(tokens.pubA))], ['proj-a'])
  t.same([...(await projectsSeen(tokens.readerA))], ['proj-a'])
  t.same([...(await projectsSeen(tokens.pubAB))].sort(), ['proj-a', 'proj-b'])
  t.notOk((await projectsSeen(tokens.unrestricted)).has(null), 'a token for every project is not admin: no catalog-wide ones')
  t.ok((await projectsSeen(undefined)).has(null))
  t.same([...(await projectsSeen(tokens.pubB))], ['proj-b'])
  const filtered = await test.call({ method: 'GET', url: '/v1/webhooks?project=proj-b', token: tokens.pubA })
  t.same(filtered.json().items, [], "another project's filter shows nothing")
  t.equal((await test.call({ method: 'GET', url: '/v1/webhooks', token: tokens.resolver })).statusCode, 403)
})
