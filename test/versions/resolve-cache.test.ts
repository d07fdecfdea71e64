import t from 'tap'
import { build } from '../helpers/app.js'
import { action, createImage, publish, push, registryEnv, startTestRegistry, submit, waitForCheck } from './fixtures.js'

// Resolve caches image snapshots; every version change must reach it at once, not after its TTL.
t.test('version changes are visible to resolve immediately', async (t) => {
  const registry = await startTestRegistry(t)
  for (const tag of ['v1', 'v2', 'v3']) await push(registry, 'team/res', tag)
  const app = await build(t, { env: registryEnv(registry) })
  const at = { registry: registry.host, repository: 'team/res' }
  await createImage(app, { code: 'res-cache', visibility: { public: true } })
  const resolve = async (project: string) => {
    const res = await app.call({
      method: 'GET',
      url: `/v1/images/res-cache/resolve?version=1.latest&project=${project}&pipeline=p&build=b`
    })
    return res.statusCode === 200 ? (res.json().version as string) : `${res.statusCode} ${res.json().code}`
  }

  // A check's outcome commits in the background: the version reads as testing through another
  // connection a moment before the worker has told the cache, so it is awaited for at most a second
  // (far below the cache's 30 s safety TTL, which is what this test guards against). Actions
  // (release, withdraw, cancel) answer only after the cache was told: those are checked at once.
  const resolvesSoon = async (project: string, version: string) => {
    const deadline = Date.now() + 1000
    let got = await resolve(project)
    while (got !== version && Date.now() < deadline) {
      await new Promise((done) => setTimeout(done, 10))
      got = await resolve(project)
    }
    return got
  }

  await publish(app, 'res-cache', { ...at, tag: 'v1' })
  t.equal(await resolve('web-ci'), '1.0.0')
  t.equal(await resolve('payments-sandbox'), '1.0.0')

  await submit(app, 'res-cache', { ...at, tag: 'v2', releaseType: 'minor' })
  t.equal((await waitForCheck(app, 'res-cache', '1.1.0')).status, 'testing')
  t.equal(await resolvesSoon('payments-sandbox', '1.1.0'), '1.1.0', 'the debug project sees the version once its check passed')
  t.equal(await resolve('web-ci'), '1.0.0', 'others do not')

  t.equal((await action(app, 'res-cache', '1.1.0', 'release')).statusCode, 200)
  t.equal(await resolve('web-ci'), '1.1.0', 'released: everyone sees it at once')

  t.equal((await action(app, 'res-cache', '1.1.0', 'withdraw', { reason: 'broken' })).statusCode, 200)
  t.equal(await resolve('web-ci'), '1.0.0', 'withdrawn: 1.latest falls back at once')

  await submit(app, 'res-cache', { ...at, tag: 'v3', releaseType: 'minor' })
  t.equal((await waitForCheck(app, 'res-cache', '1.2.0')).status, 'testing')
  t.equal(await resolvesSoon('payments-sandbox', '1.2.0'), '1.2.0')
  t.equal((await action(app, 'res-cache', '1.2.0', 'cancel')).statusCode, 200)
  t.equal(await resolve('payments-sandbox'), '1.0.0', 'cancelled: the debug project falls back at once')
})
