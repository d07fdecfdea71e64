// The publishing story through the typed client generated from the committed contract
// (src/client/): the compiler checks every request and answer below against openapi/openapi.json,
// and the service, listening on a real socket with a real registry behind it, answers them.
import t from 'tap'
import { createCisClient } from '../../src/client/index.js'
import { build } from '../helpers/app.js'
import { pushImage } from '../helpers/registry/index.js'
import { sleep, startStoryRegistry, trustRegistry } from './story-helpers.js'

t.test('associate, publish, check, release, resolve and follow the feed with the typed client', async (t) => {
  const registry = await startStoryRegistry(t, { auth: 'none' })
  await pushImage(registry, { repository: 'ci/node', tag: '20.12-1', kind: 'oci-image' })
  const { app, token } = await build(t, { env: trustRegistry(registry) })
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 })
  const publisher = createCisClient({
    baseUrl,
    token: await token({ name: 'alice', scopes: ['images:read', 'images:write'], projects: ['payments', 'payments-debug'] })
  })
  const engine = createCisClient({ baseUrl, token: await token({ name: 'engine', scopes: ['resolve'] }) })

  const image = await publisher.POST('/v1/images', {
    body: { code: 'node-20', name: 'Node.js 20', ownerProject: 'payments', debugProject: 'payments-debug', visibility: { public: true } }
  })
  t.equal(image.response.status, 201)
  t.equal(image.data?.code, 'node-20')

  const submitted = await publisher.POST('/v1/images/{code}/versions', {
    params: { path: { code: 'node-20' } },
    body: { registry: registry.host, repository: 'ci/node', tag: '20.12-1' }
  })
  t.equal(submitted.response.status, 202)
  t.equal(submitted.data?.version, '1.0.0')

  let status: string | undefined
  for (let i = 0; i < 150 && status !== 'testing' && status !== 'check_failed'; i++) {
    const version = await publisher.GET('/v1/images/{code}/versions/{version}', { params: { path: { code: 'node-20', version: '1.0.0' } } })
    status = version.data?.status
    if (status === 'checking') await sleep(100)
  }
  t.equal(status, 'testing', 'the check passed')

  const released = await publisher.POST('/v1/images/{code}/versions/{version}/release', {
    params: { path: { code: 'node-20', version: '1.0.0' } }
  })
  t.equal(released.response.status, 200)

  const resolved = await engine.GET('/v1/images/{code}/resolve', {
    params: { path: { code: 'node-20' }, query: { version: '1.latest', project: 'web' } }
  })
  t.equal(resolved.response.status, 200)
  t.match(resolved.data?.pinnedReference, new RegExp(`^${registry.host.replace(/\./g, '\\.')}/ci/node@sha256:[0-9a-f]{64}$`))

  const missing = await engine.GET('/v1/images/{code}/resolve', {
    params: { path: { code: 'node-20' }, query: { version: '2.latest', project: 'web' } }
  })
  t.equal(missing.response.status, 404, 'a problem comes back typed as an error')
  t.equal(missing.error?.status, 404)

  const feed = await publisher.GET('/v1/events', { params: { query: { type: ['version.released'] } } })
  t.same(
    feed.data?.items.map((e) => [e.imageCode, e.version]),
    [['node-20', '1.0.0']]
  )
})
