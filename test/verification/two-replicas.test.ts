import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { startFaultProxy } from '../helpers/registry/index.js'
import { push, registryEnv, startTestRegistry } from '../versions/fixtures.js'
import { releasedVersion, versionRow, waitFor } from './fixtures.js'

const VERSIONS = 4
const ROUNDS = 3

t.test('two replicas on one database: every due verification runs exactly once', async (t) => {
  const registry = await startTestRegistry(t)
  const proxy = await startFaultProxy(registry)
  t.teardown(proxy.stop)
  const env = { ...registryEnv(registry, proxy), LOG_LEVEL: 'info', VERIFY_INTERVAL: '1h', CHECK_POLL_INTERVAL_MS: '100' }
  const a = await build(t, { env })
  const b = await build(t, { databaseUrl: a.databaseUrl, env })
  await Promise.all([a.app.ready(), b.app.ready()])

  const digests = new Map<string, string>()
  for (let i = 0; i < VERSIONS; i++) {
    const repository = `team/replica-${i}`
    const pushed = await push(registry, repository, '1.0')
    digests.set(`replica-${i}`, pushed.digest)
    await releasedVersion(a, `replica-${i}`, { registry: proxy.host, repository, tag: '1.0' })
  }

  // The sweep gives each released version its job within a poll; the rounds move those jobs.
  await waitFor('a verification job per version', async () => {
    const jobs = await a.app.db.selectFrom('checkJobs').select('id').where('kind', '=', 'verification').execute()
    return jobs.length === VERSIONS ? true : undefined
  })
  const doneBy = (app: typeof a) => app.logs.filter((line) => line.includes('"msg":"verification done"')).length
  // A first run the sweep scheduled early in its hour may have happened already; only the rounds count.
  const before = doneBy(a) + doneBy(b)
  for (let round = 1; round <= ROUNDS; round++) {
    const sent = proxy.requests.length
    const started = new Date()
    // Every verification falls due at once, as after a long outage; both replicas hear of it.
    await sql`update check_jobs set run_at = now() where kind = 'verification'`.execute(a.app.db)
    await sql`select pg_notify('check_jobs_due', 'test')`.execute(a.app.db)
    await waitFor(`round ${round}`, async () => {
      for (const code of digests.keys()) {
        const row = await versionRow(a, code)
        if (!row.verifiedAt || row.verifiedAt < started) return undefined
      }
      const leased = await a.app.db.selectFrom('checkJobs').select('id').where('lockedBy', 'is not', null).execute()
      return leased.length === 0 ? true : undefined
    })
    await new Promise((resolve) => setTimeout(resolve, 300))
    t.same(
      proxy.requests.slice(sent).filter((r) => r.method !== 'HEAD' && r.path.includes('/manifests/')),
      [],
      `round ${round}: no manifest fetched, so no verification counts as a pull`
    )
    const byDigest = proxy.requests.slice(sent).filter((r) => r.method === 'HEAD' && r.path.includes('/manifests/sha256:'))
    const counts = [...digests].map(([code, digest]) => [code, byDigest.filter((r) => r.path.endsWith(digest)).length])
    t.same(
      counts,
      [...digests.keys()].map((code) => [code, 1]),
      `round ${round}: each version's digest asked once`
    )
  }
  t.equal(doneBy(a) + doneBy(b) - before, VERSIONS * ROUNDS, 'as many verifications as due jobs')
  t.comment(`verifications by replica: a ${doneBy(a)}, b ${doneBy(b)}`)
})
