// A credential names the registry hosts it is for: required on create, normalised, changeable by
// PATCH unless that would leave a version that pulls with it on a host no longer listed.
import t from 'tap'
import { build } from '../helpers/app.js'
import { WITH_KEY } from './keys.js'

const BASE = '/v1/projects/payments-ci/credentials'
const PASSWORD = 'binding-Secret-5e1d'

t.test('registries are required and normalised', async (t) => {
  const { call, logs } = await build(t, { env: WITH_KEY })
  const login = { name: 'robot', username: 'robot$p+ci', password: PASSWORD }

  const missing = await call({ method: 'POST', url: BASE, payload: login })
  t.equal(missing.statusCode, 400)
  t.match(missing.json(), { code: 'VALIDATION_FAILED', detail: /registries/ })
  t.equal((await call({ method: 'POST', url: BASE, payload: { ...login, registries: [] } })).statusCode, 400, 'at least one host')
  const tooMany = Array.from({ length: 21 }, (_, i) => `r${i}.example.com`)
  t.equal((await call({ method: 'POST', url: BASE, payload: { ...login, registries: tooMany } })).statusCode, 400, 'at most 20 hosts')

  const created = await call({
    method: 'POST',
    url: BASE,
    payload: {
      ...login,
      registries: [
        'Harbor.Example.com',
        'index.docker.io',
        'registry-1.docker.io',
        '',
        '127.0.0.1:5000',
        '[FD00:0::1]:5000',
        'harbor.example.com'
      ]
    }
  })
  t.equal(created.statusCode, 201)
  t.same(created.json().registries, ['127.0.0.1:5000', '[fd00::1]:5000', 'docker.io', 'harbor.example.com'])

  for (const bad of ['harbor', 'https://harbor.example.com', 'harbor.example.com/ns', 'host:99999']) {
    const res = await call({ method: 'POST', url: BASE, payload: { ...login, name: 'other', registries: ['ok.example.com', bad] } })
    t.equal(res.statusCode, 400, bad)
    t.match(res.json(), { code: 'INVALID_REGISTRY_HOST', registry: bad }, bad)
  }
  const single = (await call({ method: 'POST', url: BASE, payload: { ...login, name: 'other', registries: ['harbor'] } })).json()
  t.match(single.detail, "use the registry's full host name, e.g. harbor.example.com, or host:port; for Docker Hub use docker.io")
  t.equal((await call({ method: 'GET', url: BASE })).json().items.length, 1, 'nothing stored by the refusals')
  t.notMatch(logs.join(''), PASSWORD, 'the password is in no log line')
})

t.test('PATCH changes the hosts; a version left outside them is a 409 naming it', async (t) => {
  const { call, app, logs } = await build(t, { env: WITH_KEY })
  const id = (
    await call({ method: 'POST', url: BASE, payload: { name: 'robot', username: 'u', password: PASSWORD, registries: ['a.example.com'] } })
  ).json().id as string
  const image = (
    await call({
      method: 'POST',
      url: '/v1/images',
      payload: { code: 'node-20', name: 'Node 20', ownerProject: 'payments-ci', credentialId: id }
    })
  ).json()
  const addVersion = (patch: number, registry: string, status: 'testing' | 'cancelled') =>
    app.db
      .insertInto('imageVersions')
      .values({
        imageId: image.id,
        major: 1,
        minor: 0,
        patch,
        status,
        registry,
        repository: 'ci/node',
        tag: `t${patch}`,
        credentialId: id,
        submittedBy: 'admin'
      })
      .execute()
  await addVersion(0, 'a.example.com', 'testing')
  await addVersion(1, 'gone.example.com', 'cancelled')

  const widened = await call({ method: 'PATCH', url: `${BASE}/${id}`, payload: { registries: ['a.example.com', 'B.example.com'] } })
  t.equal(widened.statusCode, 200)
  t.same(widened.json().registries, ['a.example.com', 'b.example.com'])

  const narrowed = await call({ method: 'PATCH', url: `${BASE}/${id}`, payload: { registries: ['b.example.com'], name: 'renamed' } })
  t.equal(narrowed.statusCode, 409)
  t.match(narrowed.json(), {
    code: 'CREDENTIAL_REGISTRIES_IN_USE',
    versions: [{ image: 'node-20', version: '1.0.0', registry: 'a.example.com' }]
  })
  t.match(narrowed.json().detail, 'node-20 1.0.0 (a.example.com)')
  t.match(
    (await call({ method: 'GET', url: `${BASE}/${id}` })).json(),
    { name: 'robot', registries: ['a.example.com', 'b.example.com'] },
    'nothing changed'
  )

  t.equal(
    (await call({ method: 'PATCH', url: `${BASE}/${id}`, payload: { registries: ['a.example.com'] } })).statusCode,
    200,
    'a cancelled version does not hold a host'
  )
  t.equal((await call({ method: 'PATCH', url: `${BASE}/${id}`, payload: { registries: ['harbor'] } })).json().code, 'INVALID_REGISTRY_HOST')
  t.equal((await call({ method: 'PATCH', url: `${BASE}/${id}`, payload: { registries: [] } })).statusCode, 400)
  t.notMatch(logs.join(''), PASSWORD)
})
