// The pullability check, measured: (a) submission → `testing` through the service against a local
// registry, and (b) one check by our registry client next to `skopeo inspect --raw` of the same
// image, in the same run, alternating so a machine that gets busier affects both alike.
// `npm run bench` calls runCheckBench(); `npx tsx bench/check-bench.ts` prints the table alone.
// Starts and stops its own registries (no auth and token auth), app and database.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { createRegistryClient, type Credential, type RegistryClient } from '../src/registry/index.js'
import { admin, benchDatabaseUrl } from './postgres.js'
import { pushImage, startRegistry, trustedHosts, type ImageKind, type RigRegistry } from '../test/helpers/registry/index.js'

export interface CheckBenchRow {
  name: string
  median: number
  p90: number
  unit: 'ms'
}
export interface CheckBenchResult {
  rows: CheckBenchRow[]
  ratios: { name: string; value: number }[]
}

const REPETITIONS = Number(process.env.BENCH_CHECK_REPETITIONS ?? 20)
const POLL_MS = 5
const ADMIN_TOKEN = 'cis_checkbench-admin-token-0123456789abcdefghij'
const RIG_USER = { username: 'bench-puller', password: 'bench-password' }
const run = promisify(execFile)

const sorted = (values: number[]) => [...values].sort((a, b) => a - b)
// Nearest rank: p90 of 20 samples is the 18th, an observed value rather than an interpolation.
const rank = (values: number[], p: number) => sorted(values)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)] ?? NaN
const median = (values: number[]) => {
  const s = sorted(values)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2
}
const row = (name: string, samples: number[]): CheckBenchRow => ({
  name: `${name} (n=${samples.length})`,
  median: median(samples),
  p90: rank(samples, 90),
  unit: 'ms'
})

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint()
  const value = await work()
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value }
}

interface Case {
  label: string
  registry: RigRegistry
  repository: string
  digest: string
  credential: Credential | undefined
}

function rigClient(registries: RigRegistry[]): RegistryClient {
  const hosts = trustedHosts(...registries)
  return createRegistryClient({
    insecureHosts: hosts,
    allowedPrivateHosts: hosts,
    connectTimeoutMs: 2000,
    totalTimeoutMs: 10_000,
    maxBodyBytes: 4 * 1024 * 1024
  })
}

async function ourCheck(client: RegistryClient, c: Case): Promise<void> {
  const outcome = await client.checkPullability(`${c.registry.host}/${c.repository}:1.0`, c.credential)
  if (!outcome.ok) throw new Error(`check of ${c.label} failed: ${outcome.reason}`)
  if (outcome.digest !== c.digest) throw new Error(`check of ${c.label} found ${outcome.digest}, pushed ${c.digest}`)
}

// execFile, not spawnSync: the token server of the rig lives in this process and must keep answering.
async function skopeo(c: Case): Promise<void> {
  const creds = c.credential ? ['--creds', `${c.credential.username}:${c.credential.password}`] : []
  const { stdout } = await run(
    'skopeo',
    ['inspect', '--raw', '--tls-verify=false', ...creds, `docker://${c.registry.host}/${c.repository}:1.0`],
    { encoding: 'buffer', timeout: 15_000 }
  )
  const digest = `sha256:${createHash('sha256').update(stdout).digest('hex')}`
  if (digest !== c.digest) throw new Error(`skopeo read ${digest} for ${c.label}, pushed ${c.digest}`)
}

/** Fresh client (created, checked, closed: nothing reused), warm client and skopeo, in rotating order. */
async function measureCheck(c: Case, registries: RigRegistry[]): Promise<{ fresh: number[]; warm: number[]; skopeo: number[] }> {
  const warmClient = rigClient(registries)
  try {
    const runs = {
      fresh: async () => {
        const client = rigClient(registries)
        try {
          await ourCheck(client, c)
        } finally {
          await client.close()
        }
      },
      warm: () => ourCheck(warmClient, c),
      skopeo: () => skopeo(c)
    }
    const order = ['fresh', 'warm', 'skopeo'] as const
    for (const name of order) await runs[name]() // warm-up: page cache, token cache of the warm client
    const samples = { fresh: [] as number[], warm: [] as number[], skopeo: [] as number[] }
    for (let i = 0; i < REPETITIONS; i++) {
      for (let k = 0; k < order.length; k++) {
        const name = order[(i + k) % order.length] as (typeof order)[number]
        samples[name].push((await timed(runs[name])).ms)
      }
    }
    return samples
  } finally {
    await warmClient.close()
  }
}

async function inject(app: FastifyInstance, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload ? { payload } : {}) })
  if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return res.json<Record<string, unknown>>()
}

/** Submission → testing, timed from just before the POST until a GET sees `testing` (polled every 5 ms). */
async function measureSubmitToTesting(
  app: FastifyInstance,
  registry: RigRegistry,
  code: string,
  credentialId: string | null
): Promise<number[]> {
  await inject(app, 'POST', '/v1/images', { code, name: code, ownerProject: 'bench', credentialId })
  const samples: number[] = []
  for (let i = 0; i <= REPETITIONS; i++) {
    const tag = `v${i}`
    await pushImage(registry, { repository: `bench/${code}`, tag, kind: 'oci-image' })
    const body = { registry: registry.host, repository: `bench/${code}`, tag, ...(i === 0 ? {} : { releaseType: 'patch' }) }
    const { ms, value: version } = await timed(async () => {
      const { version } = await inject(app, 'POST', `/v1/images/${code}/versions`, body)
      for (;;) {
        const v = await inject(app, 'GET', `/v1/images/${code}/versions/${String(version)}`)
        if (v.status === 'testing') return String(version)
        if (v.status !== 'checking') throw new Error(`${code} ${String(version)}: ${String(v.status)} (${String(v.statusReason)})`)
        await new Promise((resolve) => setTimeout(resolve, POLL_MS))
      }
    })
    if (i > 0) samples.push(ms) // the first submission warms the worker, the pool and the registry
    await inject(app, 'POST', `/v1/images/${code}/versions/${version}/release`)
  }
  return samples
}

async function withApp<T>(registries: RigRegistry[], work: (app: FastifyInstance) => Promise<T>): Promise<T> {
  const name = `cis_checkbench_${randomBytes(4).toString('hex')}`
  await admin(`create database ${name}`)
  const hosts = trustedHosts(...registries).join(',')
  const logs: string[] = []
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString())
      done()
    }
  })
  let app: FastifyInstance | undefined
  try {
    const config = loadConfig({
      DATABASE_URL: benchDatabaseUrl(name),
      ADMIN_TOKEN,
      CREDENTIALS_KEY: Buffer.alloc(32, 3).toString('base64'),
      REGISTRY_INSECURE_HOSTS: hosts,
      REGISTRY_ALLOWED_PRIVATE_HOSTS: hosts,
      LOG_LEVEL: 'warn'
    })
    app = await buildApp({ config, logStream })
    return await work(app)
  } catch (error) {
    if (logs.length > 0) process.stderr.write(`service log (warn and above):\n${logs.slice(-20).join('')}`)
    throw error
  } finally {
    await app?.close()
    await admin(`drop database if exists ${name} with (force)`)
  }
}

export async function runCheckBench(): Promise<CheckBenchResult> {
  const registries: RigRegistry[] = []
  try {
    const open = await startRegistry({ auth: 'none' })
    registries.push(open)
    const guarded = await startRegistry({ auth: 'token', users: [RIG_USER] })
    registries.push(guarded)

    const cases: Case[] = []
    for (const [registry, auth, credential] of [
      [open, 'no auth', undefined],
      [guarded, 'token auth', { ...RIG_USER, registries: guarded.hosts }]
    ] as const) {
      for (const [kind, what] of [
        ['oci-image', 'OCI image'],
        ['oci-index', 'OCI index, 2 platforms']
      ] as [ImageKind, string][]) {
        const repository = `bench/${kind}`
        const pushed = await pushImage(registry, { repository, tag: '1.0', kind })
        cases.push({ label: `${auth}, ${what}`, registry, repository, digest: pushed.digest, credential })
      }
    }

    const rows: CheckBenchRow[] = []
    const ratios: CheckBenchResult['ratios'] = []
    await withApp(registries, async (app) => {
      const credential = await inject(app, 'POST', '/v1/projects/bench/credentials', {
        name: 'rig',
        ...RIG_USER,
        registries: guarded.hosts
      })
      rows.push(row('submit → testing, no auth, OCI image', await measureSubmitToTesting(app, open, 'bench-open', null)))
      rows.push(
        row(
          'submit → testing, token auth + credential, OCI image',
          await measureSubmitToTesting(app, guarded, 'bench-guarded', String(credential.id))
        )
      )
    })
    for (const c of cases) {
      const s = await measureCheck(c, registries)
      rows.push(
        row(`check, fresh client, ${c.label}`, s.fresh),
        row(`check, warm client, ${c.label}`, s.warm),
        row(`skopeo inspect --raw, ${c.label}`, s.skopeo)
      )
      ratios.push({ name: `fresh-client check / skopeo, ${c.label} (target < 1)`, value: median(s.fresh) / median(s.skopeo) })
      ratios.push({ name: `warm-client check / skopeo, ${c.label}`, value: median(s.warm) / median(s.skopeo) })
    }
    return { rows, ratios }
  } finally {
    await Promise.all(registries.map((r) => r.stop()))
  }
}

/** The result as a table, for the terminal. */
export function formatCheckBench({ rows, ratios }: CheckBenchResult): string {
  const table = [['run', 'median', 'p90'], ...rows.map((r) => [r.name, `${r.median.toFixed(1)} ms`, `${r.p90.toFixed(1)} ms`])]
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)))
  const lines = table.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '))
  const verdicts = ratios.map(
    (r) => `${r.name}: ${r.value.toFixed(2)}${r.name.includes('target < 1') ? (r.value < 1 ? ' meets target' : ' MISSES target') : ''}`
  )
  return `${lines.join('\n')}\n\n${verdicts.join('\n')}\n(submit → testing is polled every ${POLL_MS} ms: up to ${POLL_MS} ms of it is the poll interval)\n`
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = Date.now()
  const result = await runCheckBench()
  process.stdout.write(`${formatCheckBench(result)}total ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
}
