// The service whose memory the benchmark reads as its resolve cache fills: on the big database
// (100 000 images), the cache bounded at RESOLVE_CACHE_MAX_IMAGES (BENCH_CACHE_MAX_IMAGES). Run
// with --expose-gc. GET /bench/memory writes the buffered resolution log, collects garbage and
// answers the process's memory, with how many image snapshots it has loaded from the database so
// far (counted at the driver: a lookup the cache answers loads none). Prints one JSON line with its
// port when ready; stops on SIGTERM.
import pg from 'pg'
import { service } from './service.js'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('memory-server.ts needs node --expose-gc')

// The one query that loads an image's snapshot (listResolvableVersions) selects from "images" as "i".
let snapshotLoads = 0
const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  const first = args[0]
  const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text
  if (text?.includes('from "images" as "i"')) snapshotLoads++
  return query.apply(this, args)
} as typeof pg.Client.prototype.query

const app = await service(process.env.BENCH_BIG_DATABASE_URL as string, true, {
  RESOLVE_CACHE_MAX_IMAGES: process.env.BENCH_CACHE_MAX_IMAGES as string
})
app.get('/bench/memory', { schema: { hide: true }, config: { public: true } }, async () => {
  // Rows waiting for the log's next flush are not the cache's.
  await app.resolutionLog.flush()
  gc()
  gc()
  const { rss, heapUsed } = process.memoryUsage()
  return { rss, heapUsed, snapshotLoads }
})
await app.listen({ host: '127.0.0.1', port: 0 })
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`)

process.on('SIGTERM', async () => {
  await app.close()
  process.exit(0)
})
