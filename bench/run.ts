// `npm run bench`: resolve throughput and latency against real PostgreSQL next to a bare Fastify
// route, the job-start workload (a new build per request across many images, issue 19), the
// uncached lookup with 10 versions versus 100 000 images × 10 versions loaded, and the memory of a
// service caching 10 000 and 100 000 images. Creates and drops its own databases; prints tables with
// the ratios and the targets; then the resolution log at 10 million rows (bench/log-scale.ts) and
// the pullability check. BENCH_ONLY=job-start, memory or log-scale runs that part alone.
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { bulkLoad } from './bulk-load.js'
import { startChild, type Child } from './child.js'
import { runJobStart } from './job-start.js'
import { measureInRounds, type Measured, type Target } from './measure.js'
import { runLogScaleBench } from './log-scale.js'
import { runMemory } from './memory.js'
import { admin, benchDatabaseUrl } from './postgres.js'
import { intervalText, intervalVerdict, medians, ms, pairedRatio, perRound, table, verdict } from './report.js'
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
// Resolve of an image rolling out next to one that is not, projects varied alike: what a rollout
// costs the hot path.
const ROLLOUT_ROUNDS = 15
const ROLLOUT_PROJECTS = 64
const UNCACHED_ROUNDS = 3
const UNCACHED_SECONDS = 3
const UNCACHED_SETTLE_MS = 1000
const WARMUP_SECONDS = 2
const BULK_IMAGES = 100_000

const only = process.env.BENCH_ONLY
if (only !== undefined && only !== 'job-start' && only !== 'memory' && only !== 'log-scale') {
  process.stderr.write(`BENCH_ONLY is job-start, memory or log-scale, not ${only}\n`)
  process.exit(1)
}
const runs = (part: 'hot' | 'job-start' | 'big') => only === undefined || only === part || (only === 'memory' && part === 'big')

// The check comparison at the end needs Debian's registry and skopeo: say so before the resolve
// runs, not after them. `make bench` installs both (as `make test` does).
const missingTools = [REGISTRY_BINARY, '/usr/bin/skopeo'].filter((tool) => !existsSync(tool))
if (only === undefined && missingTools.length > 0) {
  process.stderr.write(
    `npm run bench needs ${missingTools.join(' and ')}: run \`make bench\`, which installs what is missing (as \`make test-deps\` does)\n`
  )
  process.exit(1)
}

const small = `cis_bench_${randomBytes(4).toString('hex')}`
const big = `${small}_big`
const jobsDatabase = `${small}_jobs`
const urlOf = benchDatabaseUrl
const databases = [small, big, jobsDatabase]
for (const database of databases) await admin(`create database ${database}`)
const children: Child<unknown>[] = []
try {
  const servicesProcess = await startChild<{
    cached: number
    uncached: number
    uncachedBig: number
    jobs: number
    token: string
    body: string
  }>('./servers.ts', { BENCH_DATABASE_URL: urlOf(small), BENCH_BIG_DATABASE_URL: urlOf(big), BENCH_JOBS_DATABASE_URL: urlOf(jobsDatabase) })
  children.push(servicesProcess)
  const servers = servicesProcess.ready
  const bareProcess = await startChild<{ port: number }>('./bare-server.ts', { BENCH_BARE_BODY: servers.body })
  children.push(bareProcess)
  const barePort = bareProcess.ready.port

  const auth = { authorization: `Bearer ${servers.token}` }
  const resolvePath = (code: string) => `/v1/images/${code}/resolve?version=1.latest&project=payments&pipeline=bench&build=1`
  const at = (port: number, path: string) => `http://127.0.0.1:${port}${path}`
  // All three are asked the same path, query and Authorization header (see servers.ts).
  const bare: Target = {
    label: 'bare Fastify route (same request, same body)',
    url: at(barePort, resolvePath('bench-tools')),
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
    `databases ${databases.join(', ')}; body ${servers.body.length} bytes; the bare route in a process of its own, the services in another; ` +
      `rounds with the order rotating, after ${WARMUP_SECONDS} s warm-up of each target: ` +
      `${HOT_ROUNDS} × ${HOT_SECONDS} s (bare, floor, resolve), ${ROLLOUT_ROUNDS} × ${HOT_SECONDS} s (rollout), ${UNCACHED_ROUNDS} × ${UNCACHED_SECONDS} s (uncached); ` +
      `req/s, p50 and p99 are the median round\n`
  )

  if (runs('hot')) {
    const hot = await measureInRounds([bare, floor, cached], HOT_ROUNDS, HOT_SECONDS, WARMUP_SECONDS, HOT_SETTLE_MS)
    const rollout = await measureInRounds([plainVaried, rollingOut], ROLLOUT_ROUNDS, HOT_SECONDS, WARMUP_SECONDS, HOT_SETTLE_MS)
    const load = loadavg()
    const all = new Map([...hot, ...rollout])
    const get = (t: Target) => all.get(t.label) as Measured
    process.stdout.write(`\n${table(perRound(hot))}\n\n${table(perRound(rollout))}\n\n${table(medians(all))}\n\n`)
    const [r, f, b] = [get(cached), get(floor), get(bare)]
    const throughput = pairedRatio(r, b)
    const floorRatio = pairedRatio(f, b)
    const rolloutRatio = pairedRatio(get(rollingOut), get(plainVaried))
    const lines = [
      `resolve / bare throughput at ${CONNECTIONS} connections, median of ${HOT_ROUNDS} paired rounds: ${throughput.median.toFixed(2)} (${intervalText(throughput)}; target ≥ 0.80) ${intervalVerdict(throughput, 0.8)}`,
      `  the ratio of the median rounds: ${(r.rps / b.rps).toFixed(2)}`,
      `  service floor / bare: ${floorRatio.median.toFixed(2)} (${intervalText(floorRatio)}); resolve / service floor: ${pairedRatio(r, f).median.toFixed(2)} (what resolve itself costs)`,
      `resolve p99 at ${CONNECTIONS} connections: ${ms(r.p99)} (target ≤ 5 ms) ${verdict(r.p99 <= 5)}; bare route p99 ${ms(b.p99)}`,
      `resolve of an image rolling out / the same without a rollout, ${ROLLOUT_PROJECTS} projects, median of ${ROLLOUT_ROUNDS} paired rounds: ${rolloutRatio.median.toFixed(2)} (${intervalText(rolloutRatio)}); p99 ${ms(get(rollingOut).p99)} against ${ms(get(plainVaried).p99)}`,
      `load average after the cached runs: ${load.map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs, shared by the load generator, the servers and PostgreSQL`
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  }

  if (runs('job-start')) {
    const report = await runJobStart({
      jobsPort: servers.jobs,
      barePort,
      token: servers.token,
      jobsDatabase,
      jobsDatabaseUrl: urlOf(jobsDatabase)
    })
    process.stdout.write(`\n${report}\n`)
  }

  if (runs('big')) {
    // Loaded only now: the writes of a million rows and their index builds (WAL, a checkpoint) would
    // otherwise still be going on in PostgreSQL during the cached runs, on the same two cores.
    const loadStarted = Date.now()
    await bulkLoad(urlOf(big), BULK_IMAGES)
    const loadSeconds = (Date.now() - loadStarted) / 1000
    process.stdout.write(`\nbulk load of ${BULK_IMAGES} images × 10 versions: ${loadSeconds.toFixed(1)} s\n`)
    if (only === undefined) {
      const cold = await measureInRounds(
        [uncachedSmall, uncachedSame, uncachedRandom],
        UNCACHED_ROUNDS,
        UNCACHED_SECONDS,
        WARMUP_SECONDS,
        UNCACHED_SETTLE_MS
      )
      const get = (t: Target) => cold.get(t.label) as Measured
      const [p50Small, p50Same, p50Random] = [get(uncachedSmall).p50, get(uncachedSame).p50, get(uncachedRandom).p50]
      const ratio = (a: number, b: number) => (a / b).toFixed(2)
      const lines = [
        `uncached p50, same image with ${BULK_IMAGES} images loaded / 10 versions: ${ratio(p50Same, p50Small)} (target ≤ 1.50) ${verdict(p50Same / p50Small <= 1.5)}`,
        `uncached p50, random image of ${BULK_IMAGES} / 10 versions: ${ratio(p50Random, p50Small)} (target ≤ 1.50) ${verdict(p50Random / p50Small <= 1.5)}`
      ]
      process.stdout.write(`\n${table(perRound(cold))}\n\n${table(medians(cold))}\n\n${lines.join('\n')}\n`)
    }
    process.stdout.write(`\n${await runMemory(urlOf(big), servers.token, BULK_IMAGES)}\n`)
  }
} finally {
  for (const child of children.reverse()) await child.stop()
  for (const database of databases) await admin(`drop database if exists ${database} with (force)`)
}

// The resolution log at 10 million rows (issue 19): with the servers above stopped, on its own database.
if (only === undefined || only === 'log-scale') process.stdout.write(`\n${await runLogScaleBench()}`)

// The pullability check (issue 5): submission → testing, and one check next to skopeo.
if (only === undefined) process.stdout.write(`\n${formatCheckBench(await runCheckBench())}\n`)
