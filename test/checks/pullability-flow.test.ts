import t from 'tap'
import { build } from '../helpers/app.js'
import { startFaultProxy, type ImageKind } from '../helpers/registry/index.js'
import {
  action,
  createImage,
  getVersion,
  push,
  registryEnv,
  startTestRegistry,
  submit,
  versionEvents,
  waitForCheck
} from '../versions/fixtures.js'
import { pushImage } from '../helpers/registry/index.js'
import { createBoundCredential } from '../credentials/bound-credential.js'

t.test('submit → checking → testing against a real registry', async (t) => {
  const registry = await startTestRegistry(t)
  const app = await build(t, { env: registryEnv(registry) })
  const at = { registry: registry.host }

  for (const kind of ['oci-image', 'oci-index', 'docker-v2', 'docker-list'] as ImageKind[]) {
    t.test(`${kind}: the digest, platforms, media type and size the registry serves`, async (t) => {
      const code = `flow-${kind}`
      const pushed = await push(registry, `team/${kind}`, 'v1', kind)
      await createImage(app, { code })
      const res = await submit(app, code, { ...at, repository: `team/${kind}`, tag: 'v1' })
      t.equal(res.statusCode, 202)
      t.equal(res.json().status, 'checking')
      const v = await waitForCheck(app, code, '1.0.0')
      t.match(v, {
        status: 'testing',
        digest: pushed.digest,
        pinnedReference: `${registry.host}/team/${kind}@${pushed.digest}`,
        mediaType: pushed.mediaType,
        size: pushed.size,
        checkClass: null,
        statusReason: null,
        allowedActions: ['recheck', 'release', 'cancel']
      })
      t.same(v.platforms, pushed.platforms)
    })
  }

  t.test('a tag that was never pushed → check_failed (not_found) with a reason; recheck after the push → testing', async (t) => {
    await createImage(app, { code: 'flow-missing' })
    await submit(app, 'flow-missing', { ...at, repository: 'team/missing', tag: 'v1' })
    const failed = await waitForCheck(app, 'flow-missing', '1.0.0')
    t.match(failed, { status: 'check_failed', checkClass: 'not_found', digest: null, pinnedReference: null })
    t.match(failed.statusReason, /team\/missing:v1 was not found/)
    const pushed = await push(registry, 'team/missing', 'v1')
    t.equal((await action(app, 'flow-missing', '1.0.0', 'recheck')).statusCode, 202)
    t.match(await waitForCheck(app, 'flow-missing', '1.0.0'), {
      status: 'testing',
      digest: pushed.digest,
      checkClass: null,
      statusReason: null
    })
  })

  t.test('recheck after a re-push records the new digest; the audit event says it changed', async (t) => {
    await createImage(app, { code: 'flow-repush' })
    const first = await push(registry, 'team/repush', 'v1')
    await submit(app, 'flow-repush', { ...at, repository: 'team/repush', tag: 'v1' })
    t.equal((await waitForCheck(app, 'flow-repush', '1.0.0')).digest, first.digest)

    t.equal((await action(app, 'flow-repush', '1.0.0', 'recheck')).statusCode, 202)
    t.equal((await waitForCheck(app, 'flow-repush', '1.0.0')).digest, first.digest, 'same tag content, same digest')

    const second = await push(registry, 'team/repush', 'v1', 'oci-index')
    const recheck = await action(app, 'flow-repush', '1.0.0', 'recheck')
    t.equal(recheck.json().status, 'checking')
    const v = await waitForCheck(app, 'flow-repush', '1.0.0')
    t.match(v, {
      status: 'testing',
      digest: second.digest,
      mediaType: second.mediaType,
      pinnedReference: `${registry.host}/team/repush@${second.digest}`
    })
    const passed = (await versionEvents(app, 'flow-repush')).filter((e) => e.action === 'version.check_passed').map((e) => e.details)
    t.match(passed, [
      { previousDigest: null, digest: first.digest, digestChanged: false },
      { previousDigest: first.digest, digest: first.digest, digestChanged: false },
      { previousDigest: first.digest, digest: second.digest, digestChanged: true }
    ])
    const requested = (await versionEvents(app, 'flow-repush'))
      .filter((e) => e.action === 'version.recheck_requested')
      .map((e) => e.details)
    t.same(requested.at(-1), { from: 'testing', to: 'checking', previousDigest: first.digest })
  })
})

t.test('private registries: the credential of the version is used', async (t) => {
  for (const auth of ['basic', 'token'] as const) {
    t.test(`${auth} auth`, async (t) => {
      const registry = await startTestRegistry(t, { auth, users: [{ username: 'puller', password: 'right-password' }] })
      const app = await build(t, { env: registryEnv(registry) })
      const pushed = await pushImage(registry, { repository: 'private/app', tag: 'v1', kind: 'oci-image' })
      const good = await createBoundCredential(app, 'payments-ci', { username: 'puller', password: 'right-password' }, registry.hosts)
      const bad = await createBoundCredential(app, 'payments-ci', { username: 'puller', password: 'wrong-password' }, registry.hosts)
      await createImage(app, { code: 'private-app', credentialId: good })

      await submit(app, 'private-app', { registry: registry.host, repository: 'private/app', tag: 'v1' })
      t.match(await waitForCheck(app, 'private-app', '1.0.0'), { status: 'testing', digest: pushed.digest, credentialId: good })
      await action(app, 'private-app', '1.0.0', 'cancel')

      await submit(app, 'private-app', { registry: registry.host, repository: 'private/app', tag: 'v1', credentialId: bad })
      const refused = await waitForCheck(app, 'private-app', '1.0.0')
      t.match(refused, { status: 'check_failed', checkClass: 'unauthorized' })
      t.match(refused.statusReason, /puller/)
      t.notMatch(refused.statusReason, /right-password|wrong-password/)
      t.notOk(
        app.logs.some((line) => line.includes('right-password') || line.includes('wrong-password')),
        'no password in the logs'
      )
      await action(app, 'private-app', '1.0.0', 'cancel')

      await submit(app, 'private-app', { registry: registry.host, repository: 'private/app', tag: 'v1', credentialId: null })
      t.match(await waitForCheck(app, 'private-app', '1.0.0'), { status: 'check_failed', checkClass: 'unauthorized' }, 'anonymous')
    })
  }
})

t.test('transient registry failures, cancels during a check, and restarts', async (t) => {
  const registry = await startTestRegistry(t)
  const proxy = await startFaultProxy(registry)
  t.teardown(proxy.stop)
  const env = { ...registryEnv(registry, proxy), REGISTRY_TIMEOUT_MS: '1000' }
  const at = { registry: proxy.host, repository: 'team/faulty' }
  const pushed = await push(registry, 'team/faulty', 'v1')

  t.test('rate limited: retried after Retry-After, then testing', async (t) => {
    const app = await build(t, { env })
    await createImage(app, { code: 'faulty-429' })
    proxy.setMode('rate-limit', { retryAfter: '1' })
    await submit(app, 'faulty-429', { ...at, tag: 'v1' })
    const waiting = await waitFor(async () => {
      const v = await getVersion(app, 'faulty-429', '1.0.0')
      return v.checkClass === 'rate_limited' ? v : undefined
    })
    t.match(waiting, { status: 'checking', statusReason: /HTTP 429.*attempt 1 of 5/ })
    proxy.setMode('pass')
    const v = await waitForCheck(app, 'faulty-429', '1.0.0', 10_000)
    t.match(v, { status: 'testing', digest: pushed.digest, checkClass: null, statusReason: null })
  })

  t.test('unavailable until the last attempt → check_failed saying it gave up', async (t) => {
    const app = await build(t, { env: { ...env, CHECK_MAX_ATTEMPTS: '1' } })
    await createImage(app, { code: 'faulty-503' })
    proxy.setMode('unavailable')
    await submit(app, 'faulty-503', { ...at, tag: 'v1' })
    const v = await waitForCheck(app, 'faulty-503', '1.0.0')
    t.match(v, { status: 'check_failed', checkClass: 'unavailable', statusReason: /HTTP 503.*gave up after 1 attempt\)/ })
    proxy.setMode('pass')
  })

  t.test('no release before the check passed; a cancel during the check wins over its late result', async (t) => {
    const app = await build(t, { env })
    await createImage(app, { code: 'faulty-hang' })
    proxy.setMode('hang')
    await submit(app, 'faulty-hang', { ...at, tag: 'v1' })
    await waitFor(async () =>
      proxy.requests.length > 0 &&
      (await app.app.db.selectFrom('checkJobs').select('lockedBy').where('kind', '=', 'pullability').executeTakeFirst())?.lockedBy
        ? true
        : undefined
    )
    const early = await action(app, 'faulty-hang', '1.0.0', 'release')
    t.equal(early.statusCode, 409)
    t.match(early.json(), { code: 'VERSION_STATUS_CONFLICT', currentStatus: 'checking', allowedActions: ['cancel'] })
    const cancelled = await action(app, 'faulty-hang', '1.0.0', 'cancel', { reason: 'taking too long' })
    t.equal(cancelled.statusCode, 200)
    proxy.setMode('pass')
    // The hung check times out after REGISTRY_TIMEOUT_MS; its result must not revive the version.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    t.match(await getVersion(app, 'faulty-hang', '1.0.0'), { status: 'cancelled', digest: null, statusReason: 'taking too long' })
    t.same(await app.app.db.selectFrom('checkJobs').selectAll().where('kind', '=', 'pullability').execute(), [], 'no job left behind')
    t.same(
      (await versionEvents(app, 'faulty-hang')).map((e) => e.action),
      ['version.submitted', 'version.cancelled']
    )
  })

  t.test('the app is closed while a job is pending; a new app on the same database completes it', async (t) => {
    const first = await build(t, { env })
    await createImage(first, { code: 'faulty-restart' })
    proxy.setMode('unavailable')
    await submit(first, 'faulty-restart', { ...at, tag: 'v1' })
    const pending = await waitFor(async () => {
      const job = await first.app.db.selectFrom('checkJobs').selectAll().where('kind', '=', 'pullability').executeTakeFirst()
      return job && job.attempts === 1 && job.lockedBy === null ? job : undefined
    })
    t.match(pending.lastError, /HTTP 503/)
    await first.app.close()
    proxy.setMode('pass')

    const second = await build(t, { env, databaseUrl: first.databaseUrl })
    const v = await waitForCheck(second, 'faulty-restart', '1.0.0', 15_000)
    t.match(v, { status: 'testing', digest: pushed.digest })
    t.same(await second.app.db.selectFrom('checkJobs').selectAll().where('kind', '=', 'pullability').execute(), [])
    const passed = (await versionEvents(second, 'faulty-restart')).find((e) => e.action === 'version.check_passed')
    t.equal(passed?.details.attempts, 2, 'the second attempt, by the new app')
  })
})

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
