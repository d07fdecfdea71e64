// The job-start workload (issue 19): what the pipeline engine sends. Every request is a new build's
// job start, for one of 100 images chosen with a Zipf skew (a few images serve most starts), from
// one of 200 projects and 3 pipelines each; every one must reach the resolution log, unfolded.
// Measured in paired rounds against the bare route answering the same URLs and against the same
// requests from one build (its rows fold: the log writes about one row per image per flush), with
// PostgreSQL's CPU per logged resolution and a check that the log holds every answer.
import pg from 'pg'
import { measureInRounds, type Measured, type Target } from './measure.js'
import { postgresCpuBetween, samplePostgresCpu, type PostgresCpuSample } from './postgres-cpu.js'
import { intervalText, intervalVerdict, medians, ms, pairedRatio, perRound, table, verdict } from './report.js'
import { JOB_IMAGES } from './service.js'
import { seededRandom, zipfSampler } from './zipf.js'

const CONNECTIONS = 32
// The log flushes every second: rounds of 2 s, each followed by a second in which the flush of what
// it left behind runs (and is counted in its PostgreSQL CPU), before the next target starts.
const ROUNDS = 15
const SECONDS = 2
const SETTLE_MS = 1000
const WARMUP_SECONDS = 2
const PROJECTS = 200
const PIPELINES_PER_PROJECT = 3
const ZIPF_S = 1
// The same seed for every target: each asks for the same sequence of images.
const SEED = 19
// The job-start rows in the log are recognised by their build: `js<round>-<n>`, `jsw-<n>` in the warm-up.
const SAME_BUILD = 'sb-1'

export interface JobStartServers {
  /** The service with the cache on the job-start database. */
  jobsPort: number
  barePort: number
  token: string
  jobsDatabase: string
  jobsDatabaseUrl: string
}

/** Paths of job starts: image by Zipf rank, project and pipeline uniform; `build` names the build. */
function jobStartPaths(build: () => string): () => string {
  const random = seededRandom(SEED)
  const image = zipfSampler(JOB_IMAGES, ZIPF_S, random)
  return () => {
    const code = `job-${image()}`
    const project = 1 + Math.floor(random() * PROJECTS)
    const pipeline = 1 + Math.floor(random() * PIPELINES_PER_PROJECT)
    return `/v1/images/${code}/resolve?version=1.latest&project=proj-${project}&pipeline=pipe-${pipeline}&build=${build()}`
  }
}

/** The same images in the same order as jobStartPaths, all from one build of one pipeline. */
function sameBuildPaths(): () => string {
  const random = seededRandom(SEED)
  const image = zipfSampler(JOB_IMAGES, ZIPF_S, random)
  return () => {
    const code = `job-${image()}`
    // Drawn and left unused so the image sequence stays jobStartPaths'.
    random()
    random()
    return `/v1/images/${code}/resolve?version=1.latest&project=proj-1&pipeline=pipe-1&build=${SAME_BUILD}`
  }
}

export async function runJobStart(servers: JobStartServers): Promise<string> {
  const headers = { authorization: `Bearer ${servers.token}` }
  const at = (port: number) =>
    `http://127.0.0.1:${port}/v1/images/job-1/resolve?version=1.latest&project=proj-1&pipeline=pipe-1&build=${SAME_BUILD}`

  let bareBuild = 0
  const bare: Target = {
    label: 'bare Fastify route, the job-start URLs',
    url: at(servers.barePort),
    headers,
    connections: CONNECTIONS,
    path: jobStartPaths(() => `js0-${++bareBuild}`)
  }

  let phase = 'w'
  let build = 0
  let answered = 0
  let refused = 0
  let cpuBefore: PostgresCpuSample = new Map()
  const cpu: { all: number; ours: number; backends: number }[] = []
  const jobStart: Target = {
    label: 'job-start: a new build per request',
    url: at(servers.jobsPort),
    headers,
    connections: CONNECTIONS,
    path: jobStartPaths(() => `js${phase}-${++build}`),
    before: (round) => {
      phase = String(round)
      cpuBefore = samplePostgresCpu()
    },
    after: (round) => {
      cpu[round] = postgresCpuBetween(cpuBefore, samplePostgresCpu(), servers.jobsDatabase)
    },
    onStatus: (status) => {
      if (status === 200) answered++
      else refused++
    }
  }
  const sameBuild: Target = {
    label: 'same-build: the same images, one build',
    url: at(servers.jobsPort),
    headers,
    connections: CONNECTIONS,
    path: sameBuildPaths()
  }

  const measured = await measureInRounds([bare, jobStart, sameBuild], ROUNDS, SECONDS, WARMUP_SECONDS, SETTLE_MS)
  const get = (t: Target) => measured.get(t.label) as Measured

  // Everything the service still buffers, written; then what the log holds.
  const flushed = await fetch(`http://127.0.0.1:${servers.jobsPort}/bench/flush-log`, { method: 'POST' })
  if (!flushed.ok) throw new Error(`flush-log: ${flushed.status} ${await flushed.text()}`)
  const log = (await flushed.json()) as { dropped: number; buffered: number }
  const client = new pg.Client({ connectionString: servers.jobsDatabaseUrl })
  await client.connect()
  let byPhase: Map<string, { rows: number; resolutions: number }>
  let same: { rows: number; resolutions: number }
  try {
    const { rows } = await client.query<{ phase: string; rows: number; resolutions: number }>(
      `select substring(split_part(build, '-', 1) from 3) as phase, count(*)::int as rows, sum(count)::int as resolutions
       from resolutions where build like 'js%' group by 1`
    )
    byPhase = new Map(rows.map((r) => [r.phase, r]))
    same = (
      await client.query<{ rows: number; resolutions: number }>(
        'select count(*)::int as rows, coalesce(sum(count), 0)::int as resolutions from resolutions where build = $1',
        [SAME_BUILD]
      )
    ).rows[0] as { rows: number; resolutions: number }
  } finally {
    await client.end()
  }
  const loggedIn = (round: number) => byPhase.get(String(round))?.resolutions ?? 0
  const logged = [...byPhase.values()].reduce((sum, p) => sum + p.resolutions, 0)
  const loggedRows = [...byPhase.values()].reduce((sum, p) => sum + p.rows, 0)

  const [b, j, s] = [get(bare), get(jobStart), get(sameBuild)]
  const toBare = pairedRatio(j, b)
  const toSame = pairedRatio(j, s)
  const p99Ratio = j.p99 / b.p99
  const perLogged = (seconds: number, resolutions: number) => (seconds * 1e6) / resolutions
  const cpuPerRound = (part: 'all' | 'ours' | 'backends') =>
    cpu
      .map((c, round) => perLogged(c[part], loggedIn(round)))
      .filter(Number.isFinite)
      .sort((x, y) => x - y)
  const median = (sorted: number[]) => sorted[Math.floor(sorted.length / 2)] ?? NaN
  const totalCpu = (part: 'all' | 'ours' | 'backends') =>
    perLogged(
      cpu.reduce((sum, c) => sum + c[part], 0),
      cpu.reduce((sum, _, round) => sum + loggedIn(round), 0)
    )
  const [cpuAll, cpuOurs] = [totalCpu('all'), totalCpu('ours')]
  // A run stops with up to one request per connection answered and logged by the service but cut
  // off before the load generator read it: the log may hold that many more, never fewer.
  const runs = ROUNDS + 1
  const complete = logged >= answered && logged - answered <= CONNECTIONS * runs && log.dropped === 0
  const us = (v: number) => `${v.toFixed(2)} µs`

  const lines = [
    `job-start: ${JOB_IMAGES} images × 10 versions, Zipf s = ${ZIPF_S} (image 1 gets ${(100 / harmonic(JOB_IMAGES, ZIPF_S)).toFixed(0)} % of starts), ` +
      `${PROJECTS} projects × ${PIPELINES_PER_PROJECT} pipelines, ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS} s, ${SETTLE_MS} ms settle, order rotating`,
    `job-start / bare throughput, median of ${ROUNDS} paired rounds: ${toBare.median.toFixed(2)} (${intervalText(toBare)}; target ≥ 0.60) ${intervalVerdict(toBare, 0.6)}; goal 0.80: ${intervalVerdict(toBare, 0.8, 'goal')}`,
    `job-start / same-build throughput: ${toSame.median.toFixed(2)} (${intervalText(toSame)}; target ≥ 0.90) ${intervalVerdict(toSame, 0.9)}; same-build / bare ${pairedRatio(s, b).median.toFixed(2)}`,
    `job-start p99 / bare p99: ${p99Ratio.toFixed(2)} (${ms(j.p99)} against ${ms(b.p99)}; target ≤ 3) ${verdict(p99Ratio <= 3)}; same-build p99 ${ms(s.p99)}`,
    `PostgreSQL CPU per logged job-start resolution (all its processes, each round with its settle): ${us(cpuAll)} in total, median round ${us(median(cpuPerRound('all')))} (target ≤ 5 µs) ${verdict(cpuAll <= 5)}`,
    `  counting only the benchmark database's backends and the background processes: ${us(cpuOurs)} in total, median round ${us(median(cpuPerRound('ours')))}; ` +
      `the backends alone (the statements, not the WAL writer, checkpointer and autovacuum): ${us(totalCpu('backends'))}`,
    `  log rows per resolution: job-start ${(loggedRows / logged).toFixed(3)}, same-build ${(same.rows / same.resolutions).toFixed(4)} (${same.rows} rows for ${same.resolutions})`,
    `log completeness: ${answered} job-start answers with 200 (warm-up included, ${refused} other), ${logged} resolutions in the log; ` +
      `dropped ${log.dropped}, still buffered ${log.buffered}: ${complete ? 'PASS' : 'FAIL'} (the log may hold up to ${CONNECTIONS} × ${runs} more: requests cut off at a run's end)`
  ]
  return `${table(perRound(measured))}\n\n${table(medians(measured))}\n\n${lines.join('\n')}`
}

function harmonic(n: number, s: number): number {
  let sum = 0
  for (let rank = 1; rank <= n; rank++) sum += 1 / rank ** s
  return sum
}
