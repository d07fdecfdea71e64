import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { startFaultProxy } from '../helpers/registry/index.js'
import { push, registryEnv, startTestRegistry } from '../versions/fixtures.js'
import { releasedVersion, verificationJob, verifyNow, versionRow, waitFor } from './fixtures.js'

const metric = async (app: TestApp, outcome: string): Promise<number> => {
  const text = (await app.call({ method: 'GET', url: '/metrics' })).body
  const line = text.split('\n').find((l) => l.startsWith(`ci_image_store_verifications_total{outcome="${outcome}"}`))
  return Number(line?.split(' ').at(-1) ?? 0)
}

t.test('the registry request budget, shared through the database', async (t) => {
  const registry = await startTestRegistry(t)
  const proxy = await startFaultProxy(registry)
  t.teardown(proxy.stop)
  const pushed = await push(registry, 'team/budget', '1.0')
  const env = { ...registryEnv(registry, proxy), VERIFY_INTERVAL: '1h', CHECK_POLL_INTERVAL_MS: '100' }
  const at = { registry: proxy.host, repository: 'team/budget', tag: '1.0' }

  t.test('a 429 blocks the registry until Retry-After: no verification request reaches it before', async (t) => {
    const app = await build(t, { env })
    proxy.setMode('pass')
    await releasedVersion(app, 'limited', at)
    proxy.setMode('rate-limit', { retryAfter: '3' })
    t.equal((await verifyNow(app, 'limited')).statusCode, 202)
    const failed = await waitFor('the rate-limited verification', async () => {
      const row = await versionRow(app, 'limited')
      return row.verificationError ? row : undefined
    })
    t.match(failed.verificationError, /429/)
    t.match(failed, { missingCount: 0, unavailableSince: null, verifiedAt: null }, 'a 429 says nothing about the digest')
    const budget = await app.app.db
      .selectFrom('registryRequestBudgets')
      .selectAll()
      .where('registry', '=', proxy.host)
      .executeTakeFirstOrThrow()
    t.ok(budget.blockedUntil && budget.blockedUntil.getTime() > Date.now() + 1500, 'blocked for about the Retry-After')
    const blockedUntil = budget.blockedUntil!.getTime()

    proxy.setMode('pass')
    const sentBefore = proxy.requests.length
    t.equal((await verifyNow(app, 'limited')).statusCode, 202, 'asking again does not jump the block')
    const deferredJob = await waitFor('the deferred job', async () => {
      const job = await verificationJob(app, failed.id)
      return job && job.lockedBy === null && job.runAt.getTime() > Date.now() ? job : undefined
    })
    t.ok(Math.abs(deferredJob.runAt.getTime() - blockedUntil) < 1000, 'handed back due when the block ends')
    t.equal(deferredJob.attempts, 0, 'the deferral is not an attempt')
    const firstRequestAt = await waitFor('a verification request after the block', async () =>
      proxy.requests.length > sentBefore ? Date.now() : undefined
    )
    t.ok(firstRequestAt >= blockedUntil - 50, `first request ${firstRequestAt - blockedUntil} ms after the block ended`)
    const verified = await waitFor('the verification after the block', async () => {
      const row = await versionRow(app, 'limited')
      return row.verifiedAt ? row : undefined
    })
    t.match(verified, { verificationError: null, digest: pushed.digest, upstreamSeenAt: null })
    t.ok((await metric(app, 'rate_limited')) >= 1, 'counted as rate_limited')
    t.ok((await metric(app, 'deferred')) >= 1, 'counted as deferred')
  })

  t.test('an exhausted minute defers the next verification to the next minute', async (t) => {
    // Not in the last seconds of a minute, so both requests fall in the same one.
    const second = new Date().getUTCSeconds()
    if (second > 45) await new Promise((resolve) => setTimeout(resolve, (61 - second) * 1000))
    // Room for one verification (3 requests to an anonymous registry), not two.
    const app = await build(t, { env: { ...env, VERIFY_REQUESTS_PER_MINUTE: '5' } })
    proxy.setMode('pass')
    await releasedVersion(app, 'budget-a', at)
    await releasedVersion(app, 'budget-b', at)
    const sentBefore = proxy.requests.length
    t.equal((await verifyNow(app, 'budget-a')).statusCode, 202)
    t.equal((await verifyNow(app, 'budget-b')).statusCode, 202)
    const rows = await waitFor('one verified, one deferred', async () => {
      const a = await versionRow(app, 'budget-a')
      const b = await versionRow(app, 'budget-b')
      if ((a.verifiedAt === null) === (b.verifiedAt === null)) return undefined
      const deferred = await verificationJob(app, a.verifiedAt === null ? a.id : b.id)
      return deferred && deferred.lockedBy === null && deferred.runAt.getTime() > Date.now() + 1000 ? { a, b, deferred } : undefined
    })
    const nextMinute = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 60_000)
    t.ok(
      Math.abs(rows.deferred.runAt.getTime() - nextMinute.getTime()) < 1000,
      `due at the next minute (${rows.deferred.runAt.toISOString()}, next minute ${nextMinute.toISOString()})`
    )
    t.equal(rows.deferred.attempts, 0, 'the deferral is not an attempt')
    await new Promise((resolve) => setTimeout(resolve, 500))
    t.equal(proxy.requests.length - sentBefore, 3, 'only the verification the budget allowed reached the registry')
    const budget = await app.app.db.selectFrom('registryRequestBudgets').selectAll().executeTakeFirstOrThrow()
    t.equal(budget.used, 3, 'the minute counts what was really sent')
    t.ok((await metric(app, 'deferred')) >= 1)
  })
})
