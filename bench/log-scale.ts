// The resolution log at scale (issue 19, part 4): 10 million synthetic rows over the last 30 days
// loaded by COPY into the partitioned log, then the log's read routes over HTTP (first and deep
// pages, with and without a project; a version's usage and impact), and the time to drop a day of
// retention next to a chunked DELETE of a day of the same size. `npm run bench` calls
// runLogScaleBench(); `npx tsx bench/log-scale.ts` prints it alone. LOG_SCALE_ROWS sets the size
// (1000000 for a quick run); LOG_SCALE_EXPLAIN=1 adds the plans of the statements behind the routes.
import { randomBytes, randomUUID } from 'node:crypto'
import { Agent, request } from 'node:http'
import { Writable } from 'node:stream'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import pg from 'pg'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { encodeCursor } from '../src/http/cursor.js'
import { findResolvers } from '../src/resolution-log/impact.repository.js'
import {
  CLOSED_AFTER_MS,
  CLOSED_DAY_INDEXES,
  DAY_MS,
  dayPartition,
  indexesToBuild,
  partitionDay
} from '../src/resolution-log/log-partitions.js'
import { indexClosedDays, listPartitions, maintainLogPartitions } from '../src/resolution-log/log-partitions.repository.js'
import { rollUpClosedDays, rolledUntil } from '../src/resolution-log/usage-rollup.repository.js'
import { openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrator.js'
import { setTimeout } from 'node:timers/promises'
import { listResolutions, versionUsage } from '../src/resolution-log/resolutions.repository.js'
import { explainRepositoryQuery } from './log-scale-explain.js'
import { COPY_CONNECTIONS, loadLog } from './log-scale-load.js'
import { projectName, versionDigest, versionName, type LogShape } from './log-scale-rows.js'
import { admin, benchDatabaseUrl } from './postgres.js'

const ROWS = Number(process.env.LOG_SCALE_ROWS ?? 10_000_000)
const EXPLAIN = process.env.LOG_SCALE_EXPLAIN === '1'
const IMAGES = 1000
const PROJECTS = 2000
const VERSIONS = 10
const DAYS = 30
const HOT_IMAGE = 'log-hot'
const WARMUPS = 3
const REPETITIONS = 40
// A route slow enough to need it stops early, after at least MIN_REPETITIONS: the figure is then
// far from its target anyway, and the run stays short.
const MIN_REPETITIONS = 10
const ROUTE_BUDGET_MS = 8000
const DEEP_DAYS_BACK = 20
// Retention that expires exactly the oldest loaded day: it ends 29 days before today's midnight.
const RETENTION_DAYS = DAYS - 1
const DELETE_CHUNK = 10_000
const DELETE_BUDGET_MS = 60_000
const ADMIN_TOKEN = 'cis_logscale-admin-token-0123456789abcdefghijkl'
const PAGE_TARGET_MS = 10
const USAGE_TARGET_MS = 50

const logStream = new Writable({ write: (_chunk, _encoding, done) => done() })

const sorted = (values: number[]) => [...values].sort((a, b) => a - b)
// Nearest rank: an observed value, not an interpolation (p99 of 40 samples is the slowest).
const rank = (values: number[], p: number) => sorted(values)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)] ?? NaN
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint()
  const value = await work()
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value }
}

/** One public image per rank (rank 0 the hot one), each with versions 1.0.0 … 1.9.0 released. */
async function seedImages(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ id: string }>(
    `insert into images (code, name, owner_project, debug_project, created_by, visibility_public)
     select case g when 0 then $2 else 'log-' || g end, 'log ' || g, 'owner-proj', 'debug-proj', 'bench', true
     from generate_series(0, $1::int - 1) g order by g returning id`,
    [IMAGES, HOT_IMAGE]
  )
  for (let minor = 0; minor < VERSIONS; minor++) {
    await client.query(
      `insert into image_versions (image_id, major, minor, patch, status, registry, repository, tag, digest, platforms, submitted_by)
       select id, 1, $1::int, 0, 'released', 'registry.example.com', 'bench/' || code, $2, $3, '[{"os":"linux","architecture":"amd64"}]'::jsonb, 'bench'
       from images`,
      [minor, versionName(minor), versionDigest(minor)]
    )
  }
  return rows.map((r) => r.id)
}

interface Sampled {
  label: string
  n: number
  p50: number
  p99: number
  target?: number
}

function httpGet(agent: Agent, port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** Sequential requests after warm-ups; each answer must be a 200 that `check` accepts. */
async function sampleRoute(
  agent: Agent,
  port: number,
  label: string,
  path: string,
  check: (body: unknown) => boolean,
  target?: number
): Promise<Sampled> {
  const once = async () => {
    const { ms, value } = await timed(() => httpGet(agent, port, path))
    if (value.status !== 200 || !check(JSON.parse(value.body))) throw new Error(`${label}: ${value.status} ${value.body.slice(0, 300)}`)
    return ms
  }
  for (let i = 0; i < WARMUPS; i++) await once()
  const samples: number[] = []
  const started = Date.now()
  while (samples.length < REPETITIONS && (samples.length < MIN_REPETITIONS || Date.now() - started < ROUTE_BUDGET_MS))
    samples.push(await once())
  return { label, n: samples.length, p50: rank(samples, 50), p99: rank(samples, 99), ...(target === undefined ? {} : { target }) }
}

const pageOf = (want: number) => (body: unknown) => (body as { items: unknown[] }).items.length === want
const usageFound = (body: unknown) => (body as { projects: unknown[] }).projects.length > 0
const impactFound = (body: unknown) => (body as { resolvers: unknown[] }).resolvers.length > 0

export async function runLogScaleBench(): Promise<string> {
  const phases: [string, number][] = []
  const phase = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const { ms, value } = await timed(work)
    phases.push([name, ms])
    return value
  }
  const started = Date.now()
  const name = `cis_logscale_${randomBytes(4).toString('hex')}`
  const url = benchDatabaseUrl(name)
  const now = new Date()
  const today = Math.floor(now.getTime() / DAY_MS) * DAY_MS
  const lines: string[] = []
  let app: FastifyInstance | undefined
  const client = new pg.Client({ connectionString: url })
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  await admin(`create database ${name}`)
  try {
    // The log is loaded first and the service started on it, as a replica starting on a large log:
    // a service running during the load would sum and index the days as they arrive.
    await phase('database and migrations', async () => {
      const handle = openDatabase({ databaseUrl: url, dataDir: '.', poolMax: 1 })
      try {
        await migrateToLatest(handle.db)
      } finally {
        await handle.close()
      }
    })
    await client.connect()
    const imageIds = await phase('1 000 images × 10 versions', () => seedImages(client))
    const hotId = imageIds[0] as string

    const shape: LogShape = {
      rows: ROWS,
      imageIds,
      projects: PROJECTS,
      from: today - DAYS * DAY_MS,
      to: now.getTime(),
      tokenId: randomUUID(),
      versions: VERSIONS
    }
    const walLsn = async () => (await client.query<{ lsn: string }>('select pg_current_wal_lsn() as lsn')).rows[0]?.lsn
    const walBefore = await walLsn()
    const cpuBefore = process.cpuUsage()
    const load = await timed(() => loadLog(url, shape))
    const cpu = process.cpuUsage(cpuBefore)
    const { rows: wal } = await client.query<{ bytes: string }>('select pg_wal_lsn_diff(pg_current_wal_lsn(), $1) as bytes', [walBefore])
    phases.push([`COPY ${ROWS.toLocaleString('en')} rows`, load.ms])
    const hotVersions = load.value
    // vacuum analyze, in two steps so that the breakdown says which one takes the time.
    await phase('vacuum resolutions', () => client.query('vacuum resolutions'))
    const started = await timed(async () => {
      const config = loadConfig({ DATABASE_URL: url, ADMIN_TOKEN, CREDENTIALS_KEY: Buffer.alloc(32, 1).toString('base64') })
      const service = await buildApp({ config, logStream })
      await service.listen({ host: '127.0.0.1', port: 0 })
      return service
    })
    phases.push(['service start, with its first upkeep of the log', started.ms])
    app = started.value
    const db = app.db
    const port = (app.server.address() as { port: number }).port
    // The rest of the closed days' upkeep, as the service's hourly runs would do it a few days at a
    // time; a step that finds the lock held (the service's own run) is tried again.
    const lastClosedEnd = new Date(Math.floor((now.getTime() - CLOSED_AFTER_MS) / DAY_MS) * DAY_MS)
    const unindexedDays = async () => {
      const days = (await listPartitions(db, 'resolutions')).map((n) => partitionDay('resolutions', n)).filter((d) => d !== undefined)
      const { rows } = await client.query<{ name: string }>('select indexname as name from pg_indexes where tablename = any($1)', [
        days.map((d) => d.name)
      ])
      const existing = new Set(rows.map((r) => r.name))
      return days.filter((d) => indexesToBuild(d, existing, now).length > 0).length
    }
    const upkeep = await timed(async () => {
      let indexes = 0
      while ((await unindexedDays()) > 0) {
        const built = await indexClosedDays(db, now, Number.POSITIVE_INFINITY)
        indexes += built.length
        if (built.length === 0) await setTimeout(100)
      }
      let days = 0
      while ((await rolledUntil(db))?.getTime() !== lastClosedEnd.getTime()) {
        const rolled = await rollUpClosedDays(db, now)
        days += rolled
        if (rolled === 0) await setTimeout(100)
      }
      return { indexes, days }
    })
    phases.push(["the rest of the closed days' indexes and usage sums", upkeep.ms])
    await phase('analyze resolutions', () => client.query('analyze resolutions, resolution_usage_days'))
    const { rows: sizes } = await client.query<{ total: string; heap: string; indexes: string; partitions: string }>(
      `select sum(pg_total_relation_size(inhrelid)) as total, sum(pg_relation_size(inhrelid)) as heap,
              sum(pg_indexes_size(inhrelid)) as indexes, count(*) as partitions
       from pg_inherits where inhparent = 'resolutions'::regclass`
    )
    const size = sizes[0] as { total: string; heap: string; indexes: string; partitions: string }
    const hotRows = hotVersions.reduce((a, b) => a + b, 0)
    const busyMinor = hotVersions.indexOf(Math.max(...hotVersions))
    const busyVersion = versionName(busyMinor)
    const busyProject = projectName(0)
    const closedRows = Number(
      (await client.query<{ n: string }>('select count(*) as n from resolutions where resolved_at < $1', [new Date(today)])).rows[0]?.n
    )
    const perRow = (ms: number) => `${((ms * 1000) / closedRows).toFixed(2)} µs a row`
    lines.push(
      `COPY of ${ROWS.toLocaleString('en')} rows over ${DAYS} days (a day a table, ${COPY_CONNECTIONS} at a time: COPY, the whole table's index, attach): ${seconds(load.ms)}, ` +
        `${Math.round(ROWS / (load.ms / 1000)).toLocaleString('en')} rows/s, WAL ${megabytes(Number(wal[0]?.bytes))} (server-wide), ` +
        `${seconds((cpu.user + cpu.system) / 1000)} CPU in this process (the rows made and sent); ` +
        `${size.partitions} partitions, ${megabytes(Number(size.total))} (heap ${megabytes(Number(size.heap))}, indexes ${megabytes(Number(size.indexes))})`,
      `  ${IMAGES} images (Zipf), ${HOT_IMAGE} holds ${hotRows.toLocaleString('en')} rows (${((100 * hotRows) / ROWS).toFixed(1)} %); ` +
        `${PROJECTS} projects (Zipf), ${busyProject} the busiest; ${busyVersion} the hot image's busiest version (${hotVersions[busyMinor]?.toLocaleString('en')} rows)`,
      `  the service started on it in ${seconds(started.ms)}, its start-up maintenance included (${CLOSED_DAY_INDEXES.length} indexes on 2 closed days, 7 days summed); ` +
        `the other closed days' ${upkeep.value.indexes} indexes and ${upkeep.value.days} usage sums, by the same code, in ${seconds(upkeep.ms)}; ` +
        `start and upkeep together ${perRow(started.ms + upkeep.ms)} of the ${closedRows.toLocaleString('en')} rows of closed days`
    )

    // A real row about DEEP_DAYS_BACK days back, as the cursor of the page before it would name it.
    const deepCursor = async (project: string | null) => {
      const { rows } = await client.query<{ resolved_at: Date; id: string }>(
        `select resolved_at, id from resolutions where image_id = $1 and resolved_at <= $2 and ($3::text is null or project = $3)
         order by resolved_at desc, id desc limit 1`,
        [hotId, new Date(now.getTime() - DEEP_DAYS_BACK * DAY_MS), project]
      )
      const row = rows[0]
      if (!row) throw new Error(`no row of ${HOT_IMAGE} ${DEEP_DAYS_BACK} days back`)
      return {
        cursor: encodeCursor([row.resolved_at.toISOString(), Number(row.id)]),
        after: { resolvedAt: row.resolved_at, id: Number(row.id) }
      }
    }
    const deep = await deepCursor(null)
    const deepOfProject = await deepCursor(busyProject)
    const base = `/v1/images/${HOT_IMAGE}`
    const sampled = await phase('HTTP measurements', async () => [
      await sampleRoute(agent, port, 'resolutions, first page', `${base}/resolutions`, pageOf(20), PAGE_TARGET_MS),
      await sampleRoute(
        agent,
        port,
        `resolutions, first page, project=${busyProject}`,
        `${base}/resolutions?project=${busyProject}`,
        pageOf(20),
        PAGE_TARGET_MS
      ),
      await sampleRoute(
        agent,
        port,
        `resolutions, deep page (${DEEP_DAYS_BACK} days back)`,
        `${base}/resolutions?cursor=${deep.cursor}`,
        pageOf(20),
        PAGE_TARGET_MS
      ),
      await sampleRoute(
        agent,
        port,
        `resolutions, deep page (${DEEP_DAYS_BACK} days back), project=${busyProject}`,
        `${base}/resolutions?project=${busyProject}&cursor=${deepOfProject.cursor}`,
        pageOf(20),
        PAGE_TARGET_MS
      ),
      await sampleRoute(agent, port, `usage of ${busyVersion}`, `${base}/versions/${busyVersion}/usage`, usageFound, USAGE_TARGET_MS),
      await sampleRoute(agent, port, `impact of ${busyVersion} (no target)`, `${base}/versions/${busyVersion}/impact`, impactFound)
    ])
    const labelWidth = Math.max(...sampled.map((s) => s.label.length))
    lines.push(
      `GET ${base}/… (${HOT_IMAGE}), sequential, ${WARMUPS} warm-ups, then up to ${REPETITIONS} (fewer past ${seconds(ROUTE_BUDGET_MS)}):`
    )
    for (const s of sampled) {
      const verdict =
        s.target === undefined ? '' : `  (target p50 ≤ ${s.target} ms) ${s.p50 <= s.target ? 'meets target' : 'MISSES target'}`
      lines.push(
        `  ${s.label.padEnd(labelWidth)}  n=${String(s.n).padStart(2)}  p50 ${s.p50.toFixed(1).padStart(7)} ms  p99 ${s.p99.toFixed(1).padStart(7)} ms${verdict}`
      )
    }

    if (EXPLAIN) {
      // The routes' default window: the last 30 days, now.
      const since = new Date(Date.now() - DAYS * DAY_MS)
      const all = { imageId: hotId, projects: null, since }
      const ofProject = { imageId: hotId, projects: [busyProject], since }
      const plans: [string, (d: typeof db) => Promise<unknown>][] = [
        ['first page', (d) => listResolutions(d, all, 21)],
        ['first page, project', (d) => listResolutions(d, ofProject, 21)],
        ['deep page', (d) => listResolutions(d, all, 21, deep.after)],
        ['deep page, project', (d) => listResolutions(d, ofProject, 21, deepOfProject.after)],
        ['usage', (d) => versionUsage(d, hotId, busyVersion, null, since)],
        ['impact', (d) => findResolvers(d, { imageId: hotId, match: { version: busyVersion }, since, projects: null, limit: 500 })]
      ]
      for (const [label, run] of plans) lines.push(`explain (analyze, buffers), ${label}:`, await explainRepositoryQuery(url, run))
      // JIT compiles the impact statement on every call (its cost estimate is over jit_above_cost).
      const impact = plans.at(-1)?.[1]
      if (impact)
        lines.push('explain (analyze, buffers), impact, set jit = off:', await explainRepositoryQuery(url, impact, ['set jit = off']))
    }

    await phase('retention', async () => {
      const oldest = dayPartition('resolutions', new Date(shape.from))
      const next = dayPartition('resolutions', new Date(shape.from + DAY_MS))
      const count = async (table: string) => Number((await client.query<{ n: string }>(`select count(*) as n from ${table}`)).rows[0]?.n)
      const oldestRows = await count(oldest.name)
      const dropped = await timed(() => maintainLogPartitions(db, now, RETENTION_DAYS))
      const names = (dropped.value?.dropped ?? []).filter((n) => n.startsWith('resolutions_'))
      const left = Number(
        (await client.query<{ n: string }>(`select count(*) as n from resolutions where resolved_at < $1`, [oldest.to])).rows[0]?.n
      )
      const gone = !(await listPartitions(db, 'resolutions')).includes(oldest.name) && left === 0
      if (names.length !== 1 || names[0] !== oldest.name || !gone)
        throw new Error(`retention of ${RETENTION_DAYS} days dropped ${names.join(', ') || 'nothing'}; ${left} rows of ${oldest.name} left`)
      lines.push(
        `retention: maintainLogPartitions(now, ${RETENTION_DAYS} days) dropped ${oldest.name} (${oldestRows.toLocaleString('en')} rows) in ${dropped.ms.toFixed(0)} ms; ` +
          `none of its rows are left`
      )

      // For comparison only: the next day removed as a row-by-row retention would, in chunks of
      // DELETE_CHUNK by physical row address (the cheapest a DELETE gets; the log has no id index).
      const nextRows = await count(next.name)
      let deleted = 0
      const deletion = await timed(async () => {
        const started = Date.now()
        while (Date.now() - started < DELETE_BUDGET_MS) {
          const result = await client.query(
            `delete from ${next.name} where ctid = any(array(select ctid from ${next.name} limit ${DELETE_CHUNK}))`
          )
          deleted += result.rowCount ?? 0
          if ((result.rowCount ?? 0) < DELETE_CHUNK) return true
        }
        return false
      })
      if (!deletion.value) {
        lines.push(
          `  for comparison, chunked DELETE of ${next.name}: stopped after ${seconds(DELETE_BUDGET_MS)}, ${deleted.toLocaleString('en')} of ${nextRows.toLocaleString('en')} rows deleted`
        )
        return
      }
      const vacuum = await timed(() => client.query(`vacuum ${next.name}`))
      lines.push(
        `  for comparison, a chunked DELETE (${DELETE_CHUNK.toLocaleString('en')} rows a statement) of the next day, ${next.name} (${nextRows.toLocaleString('en')} rows): ` +
          `${deletion.ms.toFixed(0)} ms, and the vacuum it leaves behind ${vacuum.ms.toFixed(0)} ms`
      )
    })
  } finally {
    const closing = Date.now()
    agent.destroy()
    await client.end().catch(() => undefined)
    await app?.close()
    await admin(`drop database if exists ${name} with (force)`)
    phases.push(['closing, dropping the database', Date.now() - closing])
  }
  lines.push(`time of this part: ${seconds(Date.now() - started)} (${phases.map(([label, ms]) => `${label} ${seconds(ms)}`).join(', ')})`)
  return `${lines.join('\n')}\n`
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(await runLogScaleBench())
}
