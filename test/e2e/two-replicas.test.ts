// Two replicas on one database: what is released, withdrawn or re-published through replica A is
// what replica B resolves within a second, although B had the image cached. HTTP only, against a
// real registry.
import t, { type Test } from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { pushImage } from '../helpers/registry/index.js'
import { pollUntil, resolveUrl, startStoryRegistry, trustRegistry, waitUntilChecked } from './story-helpers.js'

const CODE = 'shared-tools'
const REPO = 'tools/shared'
const LIMIT_MS = 1000
const EVERY_MS = 20

t.test('a release through replica A is resolved by replica B within one second', async (t) => {
  const registry = await startStoryRegistry(t, { auth: 'none' })
  const a = await build(t, { env: trustRegistry(registry) })
  const b = await build(t, { databaseUrl: a.databaseUrl, env: trustRegistry(registry) })
  const resolver = await a.token({ name: 'pipeline-engine', scopes: ['resolve'] })
  const url = resolveUrl(CODE, { version: '1.latest', project: 'web' })
  const resolveOn = async (app: TestApp) => {
    const res = await app.call({ method: 'GET', url, token: resolver })
    return { status: res.statusCode, version: res.json().version as string | undefined, code: res.json().code as string | undefined }
  }
  /** Releases the version through A, then polls B every 20 ms until it resolves `expected` (1 s at most). */
  const seenByB = async (t: Test, change: () => Promise<void>, expected: string, what: string) => {
    await change()
    const { value, ms } = await pollUntil(
      async () => ((await resolveOn(b)).version === expected ? expected : undefined),
      EVERY_MS,
      LIMIT_MS
    )
    t.equal(value, expected, `${what}: B resolves ${expected} within ${LIMIT_MS} ms`)
    t.comment(`${what}: B resolved ${expected} ${ms} ms after A answered`)
  }
  const publish = async (t: Test, tag: string, releaseType?: string) => {
    const pushed = await pushImage(registry, { repository: REPO, tag, kind: 'oci-image' })
    const res = await a.call({
      method: 'POST',
      url: `/v1/images/${CODE}/versions`,
      payload: { registry: registry.host, repository: REPO, tag, ...(releaseType ? { releaseType } : {}) }
    })
    t.equal(res.statusCode, 202, `submit ${tag} through A`)
    const version = String(res.json().version)
    t.match(await waitUntilChecked(a, CODE, version, a.config.ADMIN_TOKEN as string), { status: 'testing', digest: pushed.digest })
    return version
  }
  const act = async (t: Test, version: string, action: 'release' | 'withdraw', payload?: object) => {
    const res = await a.call({ method: 'POST', url: `/v1/images/${CODE}/versions/${version}/${action}`, ...(payload ? { payload } : {}) })
    t.equal(res.statusCode, 200, `${action} ${version} through A`)
  }

  const image = await a.call({
    method: 'POST',
    url: '/v1/images',
    payload: { code: CODE, name: 'Shared tools', ownerProject: 'platform', visibility: { public: true } }
  })
  t.equal(image.statusCode, 201, 'image associated through A')

  const first = await publish(t, '1.0')
  // B looks first, so it holds the image (no released version yet) in its cache.
  t.match(await resolveOn(b), { status: 404, code: 'VERSION_NOT_FOUND' }, 'B: nothing released yet')
  await seenByB(t, () => act(t, first, 'release'), '1.0.0', 'first release')

  const second = await publish(t, '1.1', 'minor')
  t.match(await resolveOn(b), { status: 200, version: '1.0.0' }, 'B: 1.1.0 is only testing')
  await seenByB(t, () => act(t, second, 'release'), '1.1.0', 'minor release')

  await seenByB(t, () => act(t, second, 'withdraw', { reason: 'broken' }), '1.0.0', 'withdrawal')
  t.match(await resolveOn(a), { status: 200, version: '1.0.0' }, 'A agrees')
})
