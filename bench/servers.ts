// The services the benchmark measures, in a process of their own so the load generator does not
// share their event loop: the service with the resolve cache, the service without it
// (RESOLVE_CACHE=false) on the small database and on the big one, and the service with the cache on
// the job-start database (100 images, its resolution log holding only the job-start workload's
// rows). The bare route runs in a process of its own (bare-server.ts). Prints one JSON line with
// the ports, the token and the body the bare route answers when ready; stops on SIGTERM.
import type { FastifyInstance } from 'fastify'
import { ADMIN_TOKEN, JOB_IMAGES, seed, service } from './service.js'

export const SMALL_IMAGE = 'bench-tools'
/** Like SMALL_IMAGE, but its newest version is rolling out: stage 2 of 2 reached (one project, then 50 %). */
export const ROLLOUT_IMAGE = 'bench-rollout'

/** The image's newest version (1.9.0) rolling out: one listed project, then half of the others. */
async function startRollout(app: FastifyInstance, imageId: string): Promise<void> {
  const newest = await app.db
    .selectFrom('imageVersions')
    .select('id')
    .where('imageId', '=', imageId)
    .where('minor', '=', 9)
    .executeTakeFirstOrThrow()
  await app.db
    .insertInto('versionRollouts')
    .values({
      versionId: newest.id,
      imageId,
      plan: JSON.stringify({ stages: [{ projects: ['early-adopter'] }, { percent: 50 }], advanceAfter: null }),
      stage: 1,
      state: 'rolling_out',
      stageStartedAt: new Date(),
      nextAdvanceAt: null,
      startedBy: 'bench'
    })
    .execute()
}

const cached = await service(process.env.BENCH_DATABASE_URL as string, true)
const uncached = await service(process.env.BENCH_DATABASE_URL as string, false)
const uncachedBig = await service(process.env.BENCH_BIG_DATABASE_URL as string, false)
const jobs = await service(process.env.BENCH_JOBS_DATABASE_URL as string, true)

// The floor of the service: the same hooks, token check and logging as resolve (its log level
// too), answering a fixed body. What separates it from the bare route is not resolve's work.
let body: Record<string, unknown> = {}
// Tagged as resolve so it pays the same rate-limit check under the same budget.
cached.get('/bench/floor/:code/resolve', { logLevel: 'warn', schema: { hide: true, tags: ['resolve'] } }, async () => body)
// After the job-start rounds: everything buffered written, so the log can be checked against what
// the load generator was answered.
jobs.post('/bench/flush-log', { schema: { hide: true }, config: { public: true } }, async () => {
  await jobs.resolutionLog.flush()
  return { dropped: jobs.resolutionLog.droppedIn('resolutions'), buffered: jobs.resolutionLog.bufferedIn('resolutions') }
})

await seed(cached, SMALL_IMAGE)
await startRollout(cached, await seed(cached, ROLLOUT_IMAGE))
await seed(uncachedBig, SMALL_IMAGE)
for (let n = 1; n <= JOB_IMAGES; n++) await seed(jobs, `job-${n}`)
const created = await cached.inject({
  method: 'POST',
  url: '/v1/tokens',
  headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  payload: { name: 'pipeline-engine', scopes: ['resolve'] }
})
const token = created.json<{ token: string }>().token
// The same token in the other databases: its row is copied, so the secret is valid in each.
const {
  id: _id,
  createdAt: _createdAt,
  ...tokenRow
} = await cached.db.selectFrom('apiTokens').selectAll().where('name', '=', 'pipeline-engine').executeTakeFirstOrThrow()
await uncachedBig.db.insertInto('apiTokens').values(tokenRow).execute()
await jobs.db.insertInto('apiTokens').values(tokenRow).execute()

const sample = await cached.inject({
  method: 'GET',
  url: `/v1/images/${SMALL_IMAGE}/resolve?version=1.latest&project=payments`,
  headers: { authorization: `Bearer ${token}` }
})
if (sample.statusCode !== 200) throw new Error(`resolve failed: ${sample.statusCode} ${sample.body}`)
body = sample.json<Record<string, unknown>>()

const apps = [cached, uncached, uncachedBig, jobs]
for (const app of apps) await app.listen({ host: '127.0.0.1', port: 0 })
const port = (app: FastifyInstance) => (app.server.address() as { port: number }).port
process.stdout.write(
  `${JSON.stringify({ cached: port(cached), uncached: port(uncached), uncachedBig: port(uncachedBig), jobs: port(jobs), token, body: sample.body })}\n`
)

process.on('SIGTERM', async () => {
  await Promise.all(apps.map((app) => app.close()))
  process.exit(0)
})
