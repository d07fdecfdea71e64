import t from 'tap'
import { build } from '../helpers/app.js'
import { action, createImage, getVersion, registryEnv, startTestRegistry, submit, versionsUrl, waitForCheck } from '../versions/fixtures.js'

// JSON bodies are taken as sent: a value of the wrong type is a 400, never converted into one that
// happens to fit (an empty string read as null meant "every project", "never expires", "anonymous").
t.test('JSON bodies are validated without type coercion', async (t) => {
  const app = await build(t)
  const { call } = app
  const refused = async (name: string, url: string, payload: unknown, path: string, method: 'POST' | 'PATCH' = 'POST') => {
    const res = await call({ method, url, payload })
    t.equal(res.statusCode, 400, `${name}: ${res.body}`)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${name}: problem`)
    t.match(res.json(), { code: 'VALIDATION_FAILED' }, name)
    t.ok(
      (res.json().errors ?? []).some((e: { path: string }) => e.path === path),
      `${name}: names ${path} (${JSON.stringify(res.json().errors)})`
    )
  }
  const token = { name: 'pipeline', scopes: ['resolve'] }
  await refused('an empty string for projects', '/v1/tokens', { ...token, projects: '' }, 'body.projects')
  await refused('an empty string for expiresAt', '/v1/tokens', { ...token, expiresAt: '' }, 'body.expiresAt')
  await refused('a number for a name', '/v1/tokens', { ...token, name: 12345 }, 'body.name')
  await refused('a string for a list', '/v1/tokens', { ...token, scopes: 'resolve' }, 'body.scopes')
  const tokens = await call({ method: 'GET', url: '/v1/tokens' })
  t.equal(tokens.json().items.length, 1, 'no token was created (only the admin one exists)')

  const image = { code: 'strict', name: 'Strict', ownerProject: 'payments-ci' }
  await refused('an empty string for credentialId', '/v1/images', { ...image, credentialId: '' }, 'body.credentialId')
  await refused('a number for summary', '/v1/images', { ...image, summary: 0 }, 'body.summary')
  await refused('a string for a boolean', '/v1/images', { ...image, visibility: { public: 'true' } }, 'body.visibility.public')
  t.equal((await call({ method: 'GET', url: '/v1/images/strict' })).statusCode, 404, 'no image was created')

  await createImage(app, { code: 'strict' })
  await refused('a number for summary in a PATCH', '/v1/images/strict', { summary: 0 }, 'body.summary', 'PATCH')
  await refused('an empty string for credentialId in a PATCH', '/v1/images/strict', { credentialId: '' }, 'body.credentialId', 'PATCH')
  t.match((await call({ method: 'GET', url: '/v1/images/strict' })).json(), { summary: null, credentialId: null }, 'the image is unchanged')

  const good = await call({
    method: 'POST',
    url: '/v1/tokens',
    payload: { ...token, projects: ['payments-ci'], expiresAt: '2099-01-01T00:00:00Z' }
  })
  t.equal(good.statusCode, 201, 'well-typed bodies still pass')
  t.match(good.json(), { projects: ['payments-ci'], expiresAt: '2099-01-01T00:00:00.000Z' })
})

t.test('a body that is not an object is refused where an object is expected, also on cancel whose body is optional', async (t) => {
  const registry = await startTestRegistry(t)
  const app = await build(t, { env: registryEnv(registry) })
  await createImage(app, { code: 'strict-cancel' })
  const submitted = await submit(app, 'strict-cancel', { registry: registry.host, repository: 'team/strict', tag: 'never-pushed' })
  t.equal(submitted.statusCode, 202)
  const { version } = submitted.json()
  t.match(await waitForCheck(app, 'strict-cancel', version), { status: 'check_failed' })

  const url = `${versionsUrl('strict-cancel')}/${version}/cancel`
  for (const body of ['null', '"x"', '[]', '0', 'true']) {
    const res = await app.call({ method: 'POST', url, payload: body, headers: { 'content-type': 'application/json' } })
    t.equal(res.statusCode, 400, `cancel with ${body}: ${res.body}`)
    t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ path: 'body', message: 'must be object' }] }, `cancel with ${body}`)
  }
  t.equal((await getVersion(app, 'strict-cancel', version)).status, 'check_failed', 'nothing was cancelled')
  const nullToken = await app.call({ method: 'POST', url: '/v1/tokens', payload: 'null', headers: { 'content-type': 'application/json' } })
  t.match(nullToken.json(), { status: 400, code: 'VALIDATION_FAILED' }, 'null for a required body too')

  const cancelled = await action(app, 'strict-cancel', version, 'cancel', {})
  t.equal(cancelled.statusCode, 200, 'an empty object is a cancel without a reason')
  t.match(cancelled.json(), { status: 'cancelled', statusReason: null })
})

t.test('query strings and path parameters still coerce as documented', async (t) => {
  const app = await build(t)
  const { call } = app
  for (const name of ['a', 'b', 'c']) await call({ method: 'POST', url: '/v1/tokens', payload: { name, scopes: ['resolve'] } })
  const page = await call({ method: 'GET', url: '/v1/tokens?limit=2' })
  t.equal(page.statusCode, 200, 'limit=2 is the integer 2')
  t.equal(page.json().items.length, 2)
  t.equal((await call({ method: 'GET', url: '/v1/tokens?limit=two' })).statusCode, 400, 'but not a word')

  await call({
    method: 'POST',
    url: '/v1/images',
    payload: { code: 'labelled', name: 'Labelled', ownerProject: 'payments-ci', labels: ['build'] }
  })
  const one = await call({ method: 'GET', url: '/v1/images?label=build' })
  t.equal(one.statusCode, 200, 'a single label is a list of one')
  t.same(
    one.json().items.map((i: { code: string }) => i.code),
    ['labelled']
  )
  const two = await call({ method: 'GET', url: '/v1/images?label=build&label=lts' })
  t.equal(two.statusCode, 200, 'a repeated parameter is a list')
  t.same(two.json().items, [])
})
