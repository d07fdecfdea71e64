// Memory of a service process as its resolve cache fills (issue 19): resident memory and V8 heap
// used after a forced collection, with 0, 10 000 and all the big database's images cached, each
// image resolved once. The last images resolved, asked again at once (well within the cache's
// freshness window), must load none from the database: they are held. That the earlier ones are held
// too shows in the heap: it grows by as much per image over the last 90 000 as over the first 10 000
// (an evicting cache would stop growing at its bound).
import { startChild } from './child.js'
import { table } from './report.js'

const CONCURRENCY = 16
const FIRST = 10_000
// Asked again right after being resolved: a second or two of requests, far inside the 30 s an entry
// is trusted without a refresh (an older entry is reloaded even while held).
const HELD_CHECK = 1000

interface Memory {
  rss: number
  heapUsed: number
  snapshotLoads: number
}

/** Resolves each code once, CONCURRENCY at a time; throws unless every answer is `expected`. */
async function resolveEach(port: number, token: string, codes: string[], expected = 200): Promise<number> {
  const started = performance.now()
  let next = 0
  let unexpected = 0
  const worker = async () => {
    while (next < codes.length) {
      const code = codes[next++] as string
      const response = await fetch(
        `http://127.0.0.1:${port}/v1/images/${code}/resolve?version=1.latest&project=payments&pipeline=memory&build=1`,
        {
          headers: { authorization: `Bearer ${token}` }
        }
      )
      await response.arrayBuffer()
      if (response.status !== expected) unexpected++
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  if (unexpected > 0) throw new Error(`${unexpected} of ${codes.length} resolves did not answer ${expected}`)
  return (performance.now() - started) / 1000
}

const bulk = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `bulk-${from + i}`)

export async function runMemory(bigDatabaseUrl: string, token: string, images: number): Promise<string> {
  const server = await startChild<{ port: number }>(
    './memory-server.ts',
    { BENCH_BIG_DATABASE_URL: bigDatabaseUrl, BENCH_CACHE_MAX_IMAGES: String(images) },
    ['--expose-gc']
  )
  try {
    const { port } = server.ready
    const read = async (): Promise<Memory> => {
      const response = await fetch(`http://127.0.0.1:${port}/bench/memory`)
      if (!response.ok) throw new Error(`memory: ${response.status} ${await response.text()}`)
      return (await response.json()) as Memory
    }
    // The request path compiled and its lazy state created, nothing cached: images that do not exist.
    await resolveEach(
      port,
      token,
      Array.from({ length: 200 }, (_, i) => `no-such-image-${i}`),
      404
    )
    const none = await read()
    const firstSeconds = await resolveEach(port, token, bulk(1, FIRST))
    const first = await read()
    await resolveEach(port, token, bulk(FIRST - HELD_CHECK + 1, FIRST))
    const firstAgain = (await read()).snapshotLoads - first.snapshotLoads
    const restSeconds = await resolveEach(port, token, bulk(FIRST + 1, images))
    const all = await read()
    await resolveEach(port, token, bulk(images - HELD_CHECK + 1, images))
    const lastAgain = (await read()).snapshotLoads - all.snapshotLoads

    const mb = (bytes: number) => (bytes / 1e6).toFixed(1)
    const per = (a: number, b: number, n: number) => ((a - b) / n).toFixed(0)
    const rows = [
      ['memory after a forced gc', 'images cached', 'RSS MB', 'heap used MB', 'snapshots loaded'],
      ['none (200 unknown images asked)', '0', mb(none.rss), mb(none.heapUsed), String(none.snapshotLoads)],
      [`bulk-1 … bulk-${FIRST}, once each`, String(FIRST), mb(first.rss), mb(first.heapUsed), String(first.snapshotLoads)],
      [`all bulk-1 … bulk-${images}`, String(images), mb(all.rss), mb(all.heapUsed), String(all.snapshotLoads)]
    ]
    const lines = [
      `memory: a service with RESOLVE_CACHE_MAX_IMAGES=${images} on the big database (run with --expose-gc under tsx), resolved ${CONCURRENCY} at a time ` +
        `(${FIRST} in ${firstSeconds.toFixed(1)} s, ${images - FIRST} more in ${restSeconds.toFixed(1)} s)`,
      `  bytes per cached image: heap ${per(first.heapUsed, none.heapUsed, FIRST)} (first ${FIRST}), ${per(all.heapUsed, first.heapUsed, images - FIRST)} (the next ${images - FIRST}); ` +
        `RSS ${per(first.rss, none.rss, FIRST)} and ${per(all.rss, first.rss, images - FIRST)}`,
      `  held: the last ${HELD_CHECK} of the first ${FIRST}, asked again at once, loaded ${firstAgain} snapshots from the database; ` +
        `the last ${HELD_CHECK} of all ${images}, ${lastAgain} (0 = all answered from the cache)`
    ]
    return `${table(rows)}\n${lines.join('\n')}`
  } finally {
    await server.stop()
  }
}
