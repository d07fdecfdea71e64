import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { action, createImage, publish, push, registryEnv, startTestRegistry } from '../versions/fixtures.js'
import { startTcpProxy } from '../resolve/helpers/tcp-proxy.js'
import { parseExposition, type Exposition } from './exposition.js'

const METRICS_TOKEN = 'scrape-token-0123456789abcdefghijklmnopqrstuv'
const PROJECT = 'payments-ci'

async function scrape(test: TestApp): Promise<Exposition> {
  const res = await test.call({ method: 'GET', url: '/metrics', token: METRICS_TOKEN })
  if (res.statusCode !== 200) throw new Error(`scrape: ${res.statusCode} ${res.body}`)
  return parseExposition(res.body)
}

const FAMILIES: Record<string, string> = {
  ci_image_store_http_request_duration_seconds: 'histogram',
  ci_image_store_resolve_answers_total: 'counter',
  ci_image_store_resolve_duration_seconds: 'histogram',
  ci_image_store_resolution_log_buffered_rows: 'gauge',
  ci_image_store_resolution_log_rows_written_total: 'counter',
  ci_image_store_resolution_log_write_duration_seconds: 'histogram',
  ci_image_store_resolution_log_rows_dropped_total: 'counter',
  ci_image_store_checks_total: 'counter',
  ci_image_store_check_duration_seconds: 'histogram',
  ci_image_store_check_queue_jobs: 'gauge',
  ci_image_store_check_queue_oldest_due_age_seconds: 'gauge',
  ci_image_store_verifications_total: 'counter',
  ci_image_store_verification_registry_requests_total: 'counter',
  ci_image_store_verification_queue_due_jobs: 'gauge',
  ci_image_store_verification_queue_oldest_due_age_seconds: 'gauge',
  ci_image_store_database_pool_connections: 'gauge',
  ci_image_store_database_pool_waiting_queries: 'gauge',
  ci_image_store_database_pool_max_connections: 'gauge',
  ci_image_store_listen_connected: 'gauge',
  ci_image_store_ready: 'gauge',
  ci_image_store_degraded: 'gauge',
  ci_image_store_draining: 'gauge',
  process_cpu_seconds_total: 'counter',
  process_resident_memory_bytes: 'gauge',
  nodejs_eventloop_lag_seconds: 'gauge'
}

t.test('every family is served, with the values real traffic gives it', async (t) => {
  const registry = await startTestRegistry(t)
  for (const tag of ['v1', 'v2']) await push(registry, 'team/metrics', tag)
  // A long poll: a job written straight to the table stays due until the test reads it.
  const test = await build(t, { env: { ...registryEnv(registry), METRICS_TOKEN, CHECK_POLL_INTERVAL_MS: '600000' } })
  const at = { registry: registry.host, repository: 'team/metrics' }
  await createImage(test, { code: 'metrics-a' })
  await createImage(test, { code: 'metrics-b' })
  const one = await publish(test, 'metrics-a', { ...at, tag: 'v1' })
  const two = await publish(test, 'metrics-b', { ...at, tag: 'v2' })

  const engine = await test.token({ name: 'engine', scopes: ['resolve'], projects: [PROJECT] })
  const resolve = (code: string, version = '1.latest') =>
    test.call({ method: 'GET', url: `/v1/images/${code}/resolve?version=${version}&project=${PROJECT}&build=b1`, token: engine })
  for (const code of ['metrics-a', 'metrics-a', 'metrics-b']) t.equal((await resolve(code)).statusCode, 200)
  t.equal((await resolve('metrics-unknown')).statusCode, 404)
  t.equal((await resolve('metrics-a', 'not-a-spec')).statusCode, 400)
  t.equal((await action(test, 'metrics-b', '1.0.0', 'withdraw', { reason: 'metrics test' })).statusCode, 200)
  t.equal((await resolve('metrics-b', '1.0.0')).statusCode, 410)
  const batch = await test.call({
    method: 'POST',
    url: '/v1/resolve',
    token: engine,
    payload: {
      project: PROJECT,
      images: [
        { image: 'metrics-a', version: '1.latest' },
        { image: 'metrics-unknown', version: '1.latest' }
      ]
    }
  })
  t.equal(batch.statusCode, 200)
  t.equal((await test.call({ method: 'GET', url: '/no/such/route', token: null })).statusCode, 404)
  t.equal((await test.call({ method: 'GET', url: '/another/unknown/path', token: null })).statusCode, 404)
  await test.app.resolutionLog.flush()

  // A job leased by a replica that is still running it, one waiting for a retry, and one due for a while.
  const versions = await test.app.db.selectFrom('imageVersions').select('id').execute()
  t.equal(versions.length, 2)
  const minutesFromNow = (m: number) => new Date(Date.now() + m * 60_000)
  await test.app.db.deleteFrom('checkJobs').execute()
  await test.app.db
    .insertInto('checkJobs')
    .values([
      { versionId: versions[0]!.id, runAt: minutesFromNow(-5), lockedUntil: minutesFromNow(5), lockedBy: 'elsewhere' },
      { versionId: versions[1]!.id, runAt: minutesFromNow(-2) },
      // Re-verifications: one due for three minutes (nobody polls in this test), one leased elsewhere.
      { versionId: versions[0]!.id, kind: 'verification', runAt: minutesFromNow(-3) },
      { versionId: versions[1]!.id, kind: 'verification', runAt: minutesFromNow(-4), lockedUntil: minutesFromNow(5), lockedBy: 'elsewhere' }
    ])
    .execute()

  const m = await scrape(test)
  for (const [family, type] of Object.entries(FAMILIES)) t.equal(m.types.get(family), type, `${family} is a ${type}`)

  t.test('RED per route template, method and status class', async (t) => {
    const count = (route: string, method: string, status_class: string) =>
      m.value('ci_image_store_http_request_duration_seconds_count', { route, method, status_class })
    t.equal(count('/v1/images/:code/resolve', 'GET', '2xx'), 3)
    t.equal(count('/v1/images/:code/resolve', 'GET', '4xx'), 3)
    t.equal(count('/v1/resolve', 'POST', '2xx'), 1)
    t.equal(count('unmatched', 'GET', '4xx'), 2, 'two unknown paths, one series')
    const routes = m.labelValues('ci_image_store_http_request_duration_seconds_count', 'route')
    t.notOk(
      routes.some((r) => r.includes('metrics-') || r.includes('/no/')),
      `route labels are templates, never paths: ${routes.join(' ')}`
    )
    const sum = m.value('ci_image_store_http_request_duration_seconds_sum', { route: '/v1/images/:code/resolve', status_class: '2xx' })
    t.ok(sum !== undefined && sum > 0 && sum < 30, 'durations are seconds')
  })

  t.test('resolve answers by outcome, a batch counting each entry', async (t) => {
    const answers = (outcome: string) => m.value('ci_image_store_resolve_answers_total', { outcome })
    t.equal(answers('fresh'), 4)
    t.equal(answers('not_found'), 2)
    t.equal(answers('invalid'), 1)
    t.equal(answers('gone'), 1)
    t.equal(answers('stale'), 0)
    t.equal(answers('failed'), 0)
    t.equal(m.value('ci_image_store_resolve_duration_seconds_count'), 8)
  })

  t.test('resolution log', async (t) => {
    t.equal(m.value('ci_image_store_resolution_log_rows_written_total', { log: 'resolutions' }), 3, 'one row per image, spec and build')
    t.ok((m.value('ci_image_store_resolution_log_write_duration_seconds_count', { log: 'resolutions' }) ?? 0) >= 1)
    t.equal(m.value('ci_image_store_resolution_log_buffered_rows', { log: 'resolutions' }), 0)
    t.equal(m.value('ci_image_store_resolution_log_rows_dropped_total', { log: 'resolutions' }), 0)
    t.equal(m.value('ci_image_store_resolution_log_rows_dropped_total', { log: 'pull_secret_grants' }), 0)
  })

  t.test('checks and their queue', async (t) => {
    t.equal(m.value('ci_image_store_checks_total', { result: 'testing', class: 'none' }), 2, `${one.version} and ${two.version} passed`)
    t.equal(m.value('ci_image_store_check_duration_seconds_count', { result: 'testing' }), 2)
    t.equal(m.value('ci_image_store_check_queue_jobs', { state: 'running' }), 1)
    t.equal(m.value('ci_image_store_check_queue_jobs', { state: 'due' }), 1)
    t.equal(m.value('ci_image_store_check_queue_jobs', { state: 'scheduled' }), 0)
    const age = m.value('ci_image_store_check_queue_oldest_due_age_seconds') ?? 0
    t.ok(age >= 115 && age < 200, `the due job has waited two minutes (${age} s)`)
  })

  t.test('verifications and their queue: the pullability checks do not count there', async (t) => {
    t.equal(m.value('ci_image_store_verification_queue_due_jobs'), 1)
    const age = m.value('ci_image_store_verification_queue_oldest_due_age_seconds') ?? 0
    t.ok(age >= 175 && age < 260, `the due verification has waited three minutes (${age} s)`)
    t.equal(m.value('ci_image_store_verifications_total', { outcome: 'unavailable' }), 0, 'every outcome is served from zero')
  })

  t.test('database pool, LISTEN, readiness, process', async (t) => {
    const inUse = m.value('ci_image_store_database_pool_connections', { state: 'in_use' }) ?? -1
    const idle = m.value('ci_image_store_database_pool_connections', { state: 'idle' }) ?? -1
    t.ok(inUse >= 0 && idle >= 0 && inUse + idle >= 1 && inUse + idle <= 10, `in use ${inUse}, idle ${idle}`)
    const waiting = m.value('ci_image_store_database_pool_waiting_queries') ?? -1
    t.ok(Number.isInteger(waiting) && waiting >= 0, `${waiting} waiting`)
    t.equal(m.value('ci_image_store_database_pool_max_connections'), 10)
    t.equal(m.value('ci_image_store_listen_connected'), 1)
    t.equal(m.value('ci_image_store_ready'), 1)
    t.equal(m.value('ci_image_store_degraded'), 0)
    t.equal(m.value('ci_image_store_draining'), 0)
    t.ok((m.value('process_cpu_seconds_total') ?? 0) > 0)
  })
})

t.test('a scrape answers at once with the last known queue while the database hangs', async (t) => {
  const direct = await build(t)
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const test = await build(t, { databaseUrl: proxy.url(direct.databaseUrl), env: { METRICS_TOKEN } })
  const before = await scrape(test)
  t.equal(before.value('ci_image_store_check_queue_jobs', { state: 'due' }), 0)

  await proxy.cut('hang')
  for (let i = 0; i < 2; i++) {
    const started = Date.now()
    const during = await scrape(test)
    const took = Date.now() - started
    t.ok(took < 2000, `answered in ${took} ms`)
    t.equal(during.value('ci_image_store_check_queue_jobs', { state: 'due' }), 0, 'the last known value')
    t.equal(during.value('ci_image_store_ready'), 1)
  }
  await proxy.restore()
})
