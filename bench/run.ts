// `npm run bench`: resolve throughput and latency against real PostgreSQL next to a bare Fastify
// route, and the uncached lookup with 10 versions versus 100 000 images × 10 versions loaded.
// Creates and drops its own databases; prints a table with the ratios and the targets.
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { createInterface } from 'node:readline'
import { bulkLoad } from './bulk-load.js'
import { measureInRounds, medianInterval, type Measured, type Target } from './measure.js'
import { admin, benchDatabaseUrl } from './postgres.js'
import { formatCheckBench, runCheckBench } from './check-bench.js'
import { REGISTRY_BINARY } from '../test/helpers/registry/index.js'

const CONNECTIONS = 32
const UNCACHED_CONNECTIONS = 4
// Throughput on this shared machine swings by ±30 % from one second to the next, for the bare
// route too. The ratio that matters is estimated from many short rounds, each measuring the bare
// route and resolve a second or two apart, as the median of those paired ratios with its 95 %
// interval: the width of that interval is the run's precision, printed next to the figure.
const HOT_ROUNDS = 31
const HOT_SECONDS = 1
const HOT_SETTLE_MS = 250
// A new build per request leaves a second of log writing behind it: fewer, longer rounds.
const WORST_ROUNDS = 7
const WORST_SECONDS = 2
const WORST_SETTLE_MS = 1000
// Resolve of an image rolling out next to one that is not, projects varied alike: what a rollout
// costs the hot path.
const ROLLOUT_ROUNDS = 15
const ROLLOUT_PROJECTS = 64
const UNCACHED_ROUNDS = 3
const UNCACHED_SECONDS = 3
const WARMUP_SECONDS = 2
const BULK_IMAGES = 100_000

// The check comparison at the end needs Debian's registry and skopeo: say so before the resolve
// runs, not after them. `make bench` installs both (as `make test` does).
const missingTools = [REGISTRY_BINARY, '/usr/bin/skopeo'].filter((tool) => !existsSync(tool))
if (missingTools.length > 0) {
  process.stderr.write(
    `npm run bench needs ${missingTools.join(' and ')}: run \`make bench\`, which installs what is missing (as \`make test-deps\` does)\n`
  )
  process.exit(1)
}

const small = `cis_bench_${randomBytes(4).toString('hex')}`
const big = `${small}_big`
const urlOf = benchDatabaseUrl
await admin(`create database ${small}`)
await admin(`create database ${big}`)
const child = spawn(process.execPath, ['--import', 'tsx', new URL('./servers.ts', import.meta.url).pathname], {
  env: { ...process.env, BENCH_DATABASE_URL: urlOf(small), BENCH_BIG_DATABASE_URL: urlOf(big) },
  stdio: ['ignore', 'pipe', 'inherit']
})
try {
  const ready = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve)
    child.once('exit', (code) => reject(new Error(`servers exited with ${code}`)))
  })
  const servers = JSON.parse(ready) as {
    cached: number
    uncached: number
    uncachedBig: number
    bare: number
    token: string
    bodyBytes: number
  }

  const auth = { authorization: `Bearer ${servers.token}` }
  const resolvePath = (code: string) => `/v1/images/${code}/resolve?version=1.latest&project=payments&pipeline=bench&build=1`
  const at = (port: number, path: string) => `http://127.0.0.1:${port}${path}`
  // All three are asked the same path, query and Authorization header (see servers.ts).
  const bare: Target = {
    label: 'bare Fastify route (same request, same body)',
    url: at(servers.bare, resolvePath('bench-tools')),
    headers: auth,
    connections: CONNECTIONS
  }
  const floor: Target = {
    label: 'service floor: hooks + token check, fixed body',
    url: at(servers.cached, `/bench/floor${resolvePath('bench-tools').slice('/v1/images'.length)}`),
    headers: auth,
    connections: CONNECTIONS
  }
  const cached: Target = {
    label: 'resolve, cached',
    url: at(servers.cached, resolvePath('bench-tools')),
    headers: auth,
    connections: CONNECTIONS
  }
  // Every request from another build: no two resolutions fold into one log row, so the log writes
  // a row per request (its worst case). The path is built per request, which costs the load
  // generator too; the figure is reported, not held to the target.
  let buildNumber = 0
  const distinctBuilds: Target = {
    label: 'resolve, cached, a new build per request',
    url: at(servers.cached, resolvePath('bench-tools')),
    headers: auth,
    connections: CONNECTIONS,
    path: () => `/v1/images/bench-tools/resolve?version=1.latest&project=payments&pipeline=bench&build=${++buildNumber}`
  }
  // The same requests from 64 projects: one image plain, the other with its newest version rolling
  // out to half of them (so both answers, the new version and the previous one, are served).
  const variedProjects = (label: string, code: string): Target => {
    let n = 0
    return {
      label,
      url: at(servers.cached, resolvePath(code)),
      headers: auth,
      connections: CONNECTIONS,
      path: () => `/v1/images/${code}/resolve?version=1.latest&project=p-${++n % ROLLOUT_PROJECTS}&pipeline=bench&build=1`
    }
  }
  const plainVaried = variedProjects(`resolve, cached, ${ROLLOUT_PROJECTS} projects`, 'bench-tools')
  const rollingOut = variedProjects(`resolve, cached, ${ROLLOUT_PROJECTS} projects, newest version rolling out to 50 %`, 'bench-rollout')
  const uncached = (label: string, port: number, path?: () => string): Target => ({
    label: `uncached, ${label} (${UNCACHED_CONNECTIONS} conn.)`,
    url: at(port, resolvePath('bench-tools')),
    headers: auth,
    connections: UNCACHED_CONNECTIONS,
    ...(path ? { path } : {})
  })
  const uncachedSmall = uncached('10 versions in the database', servers.uncached)
  const uncachedSame = uncached(`same image, ${BULK_IMAGES} images × 10 loaded`, servers.uncachedBig)
  const uncachedRandom = uncached(`random image of ${BULK_IMAGES} × 10`, servers.uncachedBig, () =>
    resolvePath(`bulk-${1 + Math.floor(Math.random() * BULK_IMAGES)}`)
  )

  process.stdout.write(
    `databases ${small}, ${big}; body ${servers.bodyBytes} bytes; rounds with the order rotating, after ${WARMUP_SECONDS} s warm-up of each target: ` +
      `${HOT_ROUNDS} × ${HOT_SECONDS} s (bare, floor, resolve), ${WORST_ROUNDS} × ${WORST_SECONDS} s (bare, a new build per request), ${UNCACHED_ROUNDS} × ${UNCACHED_SECONDS} s (uncached); ` +
      `req/s, p50 and p99 are the median round\n`
  )
  const hot = await measureInRounds([bare, floor, cached], HOT_ROUNDS, HOT_SECONDS, WARMUP_SECONDS, HOT_SETTLE_MS)
  const worst = await measureInRounds([bare, distinctBuilds], WORST_ROUNDS, WORST_SECONDS, WARMUP_SECONDS, WORST_SETTLE_MS)
  const rollout = await measureInRounds([plainVaried, rollingOut], ROLLOUT_ROUNDS, HOT_SECONDS, WARMUP_SECONDS, HOT_SETTLE_MS)
  const load = loadavg()
  // Loaded only now: the writes of a million rows and their index builds (WAL, a checkpoint) would
  // otherwise still be going on in PostgreSQL during the cached runs, on the same two cores.
  const loadStarted = Date.now()
  await bulkLoad(urlOf(big), BULK_IMAGES)
  const loadSeconds = (Date.now() - loadStarted) / 1000
  const cold = await measureInRounds(
    [uncachedSmall, uncachedSame, uncachedRandom],
    UNCACHED_ROUNDS,
    UNCACHED_SECONDS,
    WARMUP_SECONDS,
    WORST_SETTLE_MS
  )
  const all = new Map([...hot, [distinctBuilds.label, worst.get(distinctBuilds.label) as Measured], ...rollout, ...cold])
  const get = (t: Target) => all.get(t.label) as Measured

  const ms = (v: number) => `${v.toFixed(2)} ms`
  const table = (rows: string[][]) => {
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
    return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n')
  }
  const perRound = (measured: Map<string, Measured>) => {
    const rounds = [...measured.values()][0]?.rounds.length ?? 0
    return [
      ['req/s in each round', ...Array.from({ length: rounds }, (_, i) => String(i + 1))],
      ...[...measured].map(([label, m]) => [label, ...m.rounds.map((f) => f.rps.toFixed(0))])
    ]
  }
  const medians = [
    ['median round', 'req/s', 'p50', 'p99', 'errors'],
    ...[...all].map(([label, f]) => [label, f.rps.toFixed(0), ms(f.p50), ms(f.p99), String(f.errors)])
  ]
  process.stdout.write(
    `\n${table(perRound(hot))}\n\n${table(perRound(worst))}\n\n${table(perRound(rollout))}\n\n${table(perRound(cold))}\n\n${table(medians)}\n\n`
  )

  const ratio = (a: number, b: number) => (a / b).toFixed(2)
  const verdict = (ok: boolean) => (ok ? 'meets target' : 'MISSES target')
  const [r, f, b, d] = [get(cached), get(floor), get(bare), get(distinctBuilds)]
  // Each round's ratio compares figures measured a second or two apart, so the machine's slower
  // drifts cancel out of it; the median of those ratios is the figure held to the target.
  const paired = (a: Measured, base: Measured) => medianInterval(a.rounds.map((round, i) => round.rps / base.rounds[i]!.rps))
  const throughput = paired(r, b)
  const floorRatio = paired(f, b)
  const rolloutRatio = paired(get(rollingOut), get(plainVaried))
  const interval = ({ low, high }: { low: number; high: number }) => `95 % interval ${low.toFixed(2)}–${high.toFixed(2)}`
  const atTarget =
    throughput.low >= 0.8
      ? 'meets target, the whole interval above it'
      : throughput.high < 0.8
        ? 'MISSES target, the whole interval below it'
        : verdict(throughput.median >= 0.8) + ', though the interval spans the target'
  const [p50Small, p50Same, p50Random] = [get(uncachedSmall).p50, get(uncachedSame).p50, get(uncachedRandom).p50]
  const lines = [
    `bulk load of ${BULK_IMAGES} images × 10 versions: ${loadSeconds.toFixed(1)} s`,
    `resolve / bare throughput at ${CONNECTIONS} connections, median of ${HOT_ROUNDS} paired rounds: ${throughput.median.toFixed(2)} (${interval(throughput)}; target ≥ 0.80) ${atTarget}`,
    `  the ratio of the median rounds: ${ratio(r.rps, b.rps)}`,
    `  service floor / bare: ${floorRatio.median.toFixed(2)} (${interval(floorRatio)}); resolve / service floor: ${paired(r, f).median.toFixed(2)} (what resolve itself costs)`,
    `resolve p99 at ${CONNECTIONS} connections: ${ms(r.p99)} (target ≤ 5 ms) ${verdict(r.p99 <= 5)}; bare route p99 ${ms(b.p99)}`,
    `  a new build per request (a log row each, no folding): ${paired(d, worst.get(bare.label) as Measured).median.toFixed(2)} of bare, p99 ${ms(d.p99)}`,
    `resolve of an image rolling out / the same without a rollout, ${ROLLOUT_PROJECTS} projects, median of ${ROLLOUT_ROUNDS} paired rounds: ${rolloutRatio.median.toFixed(2)} (${interval(rolloutRatio)}); p99 ${ms(get(rollingOut).p99)} against ${ms(get(plainVaried).p99)}`,
    `uncached p50, same image with ${BULK_IMAGES} images loaded / 10 versions: ${ratio(p50Same, p50Small)} (target ≤ 1.50) ${verdict(p50Same / p50Small <= 1.5)}`,
    `uncached p50, random image of ${BULK_IMAGES} / 10 versions: ${ratio(p50Random, p50Small)} (target ≤ 1.50) ${verdict(p50Random / p50Small <= 1.5)}`,
    `load average after the cached runs: ${load.map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs, shared by the load generator, the servers and PostgreSQL`
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
} finally {
  if (child.exitCode === null) {
    child.kill('SIGTERM')
    await new Promise((resolve) => child.once('exit', resolve))
  }
  await admin(`drop database if exists ${small} with (force)`)
  await admin(`drop database if exists ${big} with (force)`)
}

// The pullability check (issue 5): submission → testing, and one check next to skopeo.
process.stdout.write(`\n${formatCheckBench(await runCheckBench())}\n`)
