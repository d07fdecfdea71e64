// A real Prometheus (Debian's package) scrapes the app over loopback with the scrape token, and
// promtool lints what it reads.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { build } from '../helpers/app.js'
import { freePort } from '../helpers/registry/free-port.js'

const METRICS_TOKEN = 'scrape-token-0123456789abcdefghijklmnopqrstuv'

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = await probe().catch(() => undefined)
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

t.test('Prometheus scrapes /metrics with METRICS_TOKEN and queries a service metric', async (t) => {
  const test = await build(t, { env: { METRICS_TOKEN } })
  await test.app.listen({ host: '127.0.0.1', port: 0 })
  const appPort = (test.app.server.address() as AddressInfo).port
  const resolve = await test.call({ method: 'GET', url: '/v1/images/absent/resolve?version=1.latest&project=payments-ci' })
  t.equal(resolve.statusCode, 404)

  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  evaluation_interval: 1s',
      'scrape_configs:',
      '  - job_name: ci-image-store',
      '    authorization:',
      `      credentials: ${METRICS_TOKEN}`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${appPort}']`,
      ''
    ].join('\n')
  )
  const port = await freePort()
  const prometheus = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', 'pipe'] }
  )
  let log = ''
  prometheus.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)))
  const exited = new Promise<void>((resolve) => prometheus.once('exit', () => resolve()))
  t.teardown(async () => {
    prometheus.kill('SIGTERM')
    const killer = setTimeout(() => prometheus.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  })
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`)
    if (!res.ok) throw new Error(`${path}: ${res.status}`)
    return ((await res.json()) as { data: T }).data
  }

  interface Target {
    health: string
    lastError: string
    scrapeUrl: string
  }
  const target = await waitFor('the target to be up', async () => {
    const { activeTargets } = await api<{ activeTargets: Target[] }>('/api/v1/targets')
    return activeTargets.find((a) => a.health === 'up')
  }).catch((error: Error) => {
    throw new Error(`${error.message}; prometheus said: ${log}`)
  })
  t.equal(target.scrapeUrl, `http://127.0.0.1:${appPort}/metrics`)

  interface Vector {
    resultType: string
    result: { metric: Record<string, string>; value: [number, string] }[]
  }
  const notFound = await waitFor('a resolve metric in PromQL', async () => {
    const data = await api<Vector>(`/api/v1/query?query=${encodeURIComponent('ci_image_store_resolve_answers_total{outcome="not_found"}')}`)
    return data.result[0]
  })
  t.equal(notFound.metric.job, 'ci-image-store')
  t.equal(notFound.value[1], '1', 'the one 404 resolve')
  const ready = await api<Vector>(`/api/v1/query?query=${encodeURIComponent('ci_image_store_ready')}`)
  t.equal(ready.result[0]?.value[1], '1')
})

t.test('promtool check metrics finds nothing to complain about', async (t) => {
  const test = await build(t, { env: { METRICS_TOKEN } })
  // Traffic first, so labelled families have series to lint.
  await test.call({ method: 'GET', url: '/v1/images/absent/resolve?version=1.latest&project=payments-ci' })
  await test.call({ method: 'GET', url: '/no/such/route', token: null })
  await test.app.resolutionLog.flush()
  const body = (await test.call({ method: 'GET', url: '/metrics', token: METRICS_TOKEN })).body
  t.match(body, /ci_image_store_http_request_duration_seconds_count\{route="unmatched"/)
  const lint = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' })
  t.equal(lint.status, 0, 'exit 0')
  t.equal(lint.stdout + lint.stderr, '', 'no findings')
})
