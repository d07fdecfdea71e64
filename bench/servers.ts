// The servers the benchmark measures, in a process of their own so the load generator does not
// share their event loop: the service with the resolve cache, the service without it
// (RESOLVE_CACHE=false) on the small database and on the big one, and a bare Fastify route
// answering a JSON body of the same size. Prints one JSON line with their ports when ready;
// stops on SIGTERM.
import Fastify, { type FastifyInstance } from 'fastify'
import { Writable } from 'node:stream'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

export const ADMIN_TOKEN = 'cis_bench-admin-token-0123456789abcdefghijklmnop'
export const SMALL_IMAGE = 'bench-tools'
/** Like SMALL_IMAGE, but its newest version is rolling out: stage 2 of 2 reached (one project, then 50 %). */
export const ROLLOUT_IMAGE = 'bench-rollout'

// The service's production defaults (LOG_LEVEL=info), with the lines thrown away.
const logStream = new Writable({ write: (_chunk, _encoding, done) => done() })

async function service(databaseUrl: string, cache: boolean) {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    ADMIN_TOKEN,
    CREDENTIALS_KEY: Buffer.alloc(32, 1).toString('base64'),
    RESOLVE_CACHE: String(cache),
    // The limiter runs as in production; its budget is raised only because one token here sends
    // far more than a pipeline engine's minute (resolve and the floor share it).
    RATE_LIMIT_RESOLVE_PER_MINUTE: String(1_000_000_000)
  })
  return buildApp({ config, logStream })
}

/** Ten released versions of one public image. */
async function seed(app: FastifyInstance, code = SMALL_IMAGE): Promise<string> {
  const image = await app.db
    .insertInto('images')
    .values({
      code,
      name: code,
      ownerProject: 'owner-proj',
      debugProject: 'debug-proj',
      createdBy: 'bench',
      visibilityPublic: true
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  for (let minor = 0; minor < 10; minor++) {
    await app.db
      .insertInto('imageVersions')
      .values({
        imageId: image.id,
        major: 1,
        minor,
        patch: 0,
        status: 'released',
        registry: 'registry.example.com',
        repository: `bench/${code}`,
        tag: `1.${minor}.0`,
        digest: `sha256:${String(minor).repeat(64)}`,
        platforms: JSON.stringify([
          { os: 'linux', architecture: 'amd64' },
          { os: 'linux', architecture: 'arm64', variant: 'v8' }
        ]),
        submittedBy: 'bench'
      })
      .execute()
  }
  return image.id
}

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

// The floor of the service: the same hooks, token check and logging as resolve (its log level
// too), answering a fixed body. What separates it from the bare route is not resolve's work.
let body: Record<string, unknown> = {}
// Tagged as resolve so it pays the same rate-limit check under the same budget.
cached.get('/bench/floor/:code/resolve', { logLevel: 'warn', schema: { hide: true, tags: ['resolve'] } }, async () => body)

await seed(cached)
await startRollout(cached, await seed(cached, ROLLOUT_IMAGE))
await seed(uncachedBig)
const created = await cached.inject({
  method: 'POST',
  url: '/v1/tokens',
  headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  payload: { name: 'pipeline-engine', scopes: ['resolve'] }
})
const token = created.json<{ token: string }>().token
// The same token in the big database: its row is copied, so the secret is valid on both.
const {
  id: _id,
  createdAt: _createdAt,
  ...tokenRow
} = await cached.db.selectFrom('apiTokens').selectAll().where('name', '=', 'pipeline-engine').executeTakeFirstOrThrow()
await uncachedBig.db.insertInto('apiTokens').values(tokenRow).execute()

const sample = await cached.inject({
  method: 'GET',
  url: `/v1/images/${SMALL_IMAGE}/resolve?version=1.latest&project=payments`,
  headers: { authorization: `Bearer ${token}` }
})
if (sample.statusCode !== 200) throw new Error(`resolve failed: ${sample.statusCode} ${sample.body}`)
body = sample.json<Record<string, unknown>>()

// Asked the same URL with the same headers as resolve, so the load generator and the kernel do the
// same work for both and the difference is the server's.
const bare = Fastify()
bare.get('/v1/images/:code/resolve', async () => body)

const apps = [cached, uncached, uncachedBig, bare]
for (const app of apps) await app.listen({ host: '127.0.0.1', port: 0 })
const port = (app: FastifyInstance) => (app.server.address() as { port: number }).port
process.stdout.write(
  `${JSON.stringify({ cached: port(cached), uncached: port(uncached), uncachedBig: port(uncachedBig), bare: port(bare), token, bodyBytes: sample.body.length })}\n`
)

process.on('SIGTERM', async () => {
  await Promise.all(apps.map((app) => app.close()))
  process.exit(0)
})
