// SIGTERM as Kubernetes sends it: the replica leaves the load balancer, drains, and stops without a
// single client error; a check in flight against a registry that never answers is cut short and
// its job handed back at once, so another replica takes it without waiting for the lease.
import t, { type Test } from 'tap'
import { createServer, type Socket } from 'node:net'
import { once } from 'node:events'
import pg from 'pg'
import { Pool } from 'undici'
import { ADMIN_TOKEN, TEST_CREDENTIALS_KEY, build } from '../helpers/app.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import { freePort, startServer } from '../helpers/server-process.js'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const CONNECTIONS = 16
const DRAIN_MS = 1500
// How long the load generator, like a load balancer, takes to act on a failed readiness probe.
const LB_REACTION_MS = 100

const baseEnv = async (t: Test) => ({
  DATABASE_URL: await freshDatabaseUrl(t),
  ADMIN_TOKEN,
  CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
  LOG_LEVEL: 'info',
  RATE_LIMIT_ENABLED: 'false'
})

t.test('SIGTERM under keep-alive load: ready goes at once, the drain serves every request, no client error', async (t) => {
  const port = await freePort()
  const server = startServer({ ...(await baseEnv(t)), PORT: String(port), DRAIN_DELAY_MS: String(DRAIN_MS) }, t)
  await server.listening()
  const origin = `http://127.0.0.1:${port}`
  const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1 })
  t.teardown(() => pool.destroy())
  const probes = new Pool(origin, { connections: 1 })
  t.teardown(() => probes.destroy())

  // duringDrain: requests sent once /readyz had answered 503, so the replica knew it was draining.
  const counts = { answered: 0, failedStatus: 0, transportErrors: 0, duringDrain: 0, closedDuringDrain: 0, afterSignal: 0 }
  let signalledAt = 0
  let notReadyAt = 0
  let sending = true
  const loop = async () => {
    while (sending) {
      const sentAt = performance.now()
      try {
        const res = await pool.request({ method: 'GET', path: '/v1/whoami', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
        await res.body.dump()
        counts.answered++
        if (res.statusCode !== 200) counts.failedStatus++
        if (signalledAt > 0) counts.afterSignal++
        if (notReadyAt > 0 && sentAt > notReadyAt) {
          counts.duringDrain++
          if (res.headers.connection === 'close') counts.closedDuringDrain++
        }
      } catch {
        counts.transportErrors++
      }
    }
  }
  // The load balancer: probes readiness every 50 ms and stops sending a moment after it fails.
  const balancer = (async () => {
    while (sending) {
      const res = await probes.request({ method: 'GET', path: '/readyz' }).catch(() => undefined)
      await res?.body.dump()
      if (res && res.statusCode === 503 && notReadyAt === 0) {
        notReadyAt = performance.now()
        await sleep(LB_REACTION_MS)
        sending = false
      }
      await sleep(50)
    }
  })()
  const loops = Array.from({ length: CONNECTIONS }, loop)
  await sleep(1000)
  const before = counts.answered
  signalledAt = performance.now()
  server.child.kill('SIGTERM')
  const [code] = await server.exited
  const exitedAt = performance.now()
  sending = false
  await Promise.all([...loops, balancer])

  t.equal(code, 0, `clean exit (stderr: ${server.err()})`)
  t.ok(before > 0, `load before the signal (${before} answers)`)
  t.equal(counts.transportErrors, 0, 'no transport error (reset, refused)')
  t.equal(counts.failedStatus, 0, 'every answer 200')
  // A bound for a loaded two-core machine; the figure itself goes to the comment below.
  t.ok(notReadyAt > 0 && notReadyAt - signalledAt < 3000, `/readyz answered 503 ${Math.round(notReadyAt - signalledAt)} ms after SIGTERM`)
  t.ok(counts.duringDrain > 0, `${counts.duringDrain} requests sent after /readyz failed were answered`)
  t.equal(counts.closedDuringDrain, counts.duringDrain, 'each of them with Connection: close')
  const exitMs = exitedAt - signalledAt
  t.ok(exitMs >= DRAIN_MS, `the process served through the drain delay (${Math.round(exitMs)} ms to exit)`)
  t.ok(exitMs < DRAIN_MS + 5000, 'and then closed promptly')
  t.match(server.out(), /"msg":"shut down: requests answered, checks handed back, log flushed"/)
  t.comment(
    `drain drill: ${counts.answered} requests over ${CONNECTIONS} keep-alive connections, ${counts.afterSignal} answered after SIGTERM, ` +
      `${counts.duringDrain} sent after /readyz failed, ` +
      `${counts.transportErrors} transport errors, ${counts.failedStatus} non-200; not ready after ${Math.round(notReadyAt - signalledAt)} ms, ` +
      `exit after ${Math.round(exitMs)} ms (drain ${DRAIN_MS} ms)`
  )
})

t.test('SIGTERM during a check: cut short, the job handed back and taken by another replica at once', async (t) => {
  // A registry that accepts connections and never answers: without the abort the check would run
  // for the whole REGISTRY_TIMEOUT_MS.
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => sockets.add(socket)).listen(0, '127.0.0.1')
  await once(silent, 'listening')
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const registry = `127.0.0.1:${(silent.address() as { port: number }).port}`
  const env = await baseEnv(t)
  const registryEnv = {
    REGISTRY_INSECURE_HOSTS: registry,
    REGISTRY_ALLOWED_PRIVATE_HOSTS: registry,
    REGISTRY_TIMEOUT_MS: '60000'
  }
  const port = await freePort()
  const server = startServer({ ...env, ...registryEnv, PORT: String(port), DRAIN_DELAY_MS: '200' }, t)
  await server.listening()
  const call = async (method: string, path: string, body: object) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body)
    })
    return { status: res.status, body: (await res.json()) as Record<string, unknown> }
  }
  const image = await call('POST', '/v1/images', { code: 'slow-tools', name: 'Slow tools', ownerProject: 'platform' })
  t.equal(image.status, 201, 'image created')
  const submitted = await call('POST', '/v1/images/slow-tools/versions', { registry, repository: 'team/app', tag: '1.0' })
  t.equal(submitted.status, 202, 'version submitted')

  const db = new pg.Client({ connectionString: env.DATABASE_URL })
  await db.connect()
  t.teardown(() => db.end())
  const job = async () =>
    (
      await db.query<{ locked_by: string | null; attempts: number }>(
        "select locked_by, attempts from check_jobs where kind = 'pullability'"
      )
    ).rows[0]
  for (let i = 0; i < 200 && !((await job())?.locked_by && sockets.size > 0); i++) await sleep(50)
  const leased = await job()
  t.ok(leased?.locked_by?.includes(`:${server.child.pid}:`), `the child's worker holds the job (${leased?.locked_by})`)

  // The other replica polls only once a minute: only the hand-back notification can wake it in time.
  const other = await build(t, { databaseUrl: env.DATABASE_URL, env: { ...registryEnv, CHECK_POLL_INTERVAL_MS: '60000' } })
  await other.app.ready()

  const signalledAt = performance.now()
  server.child.kill('SIGTERM')
  const [code] = await server.exited
  const exitMs = performance.now() - signalledAt
  t.equal(code, 0, `clean exit (stderr: ${server.err()})`)
  t.ok(exitMs < 10_000, `exited ${Math.round(exitMs)} ms after SIGTERM, not after the registry timeout (60 s)`)
  t.match(server.out(), /job handed back/)

  let takenAfter = -1
  for (let i = 0; i < 100; i++) {
    const row = await job()
    if (row?.locked_by && !row.locked_by.includes(`:${server.child.pid}:`)) {
      takenAfter = performance.now() - signalledAt - exitMs
      t.equal(row.attempts, 1, 'the cut-short attempt did not count')
      break
    }
    await sleep(20)
  }
  t.ok(takenAfter >= 0 && takenAfter < 1000, `the other replica took the job ${Math.round(takenAfter)} ms after the exit`)
  const version = await db.query<{ status: string }>('select status from image_versions')
  t.equal(version.rows[0]?.status, 'checking', 'the version is still being checked, nothing recorded for the cut-short run')
  t.comment(
    `check hand-back: exit ${Math.round(exitMs)} ms after SIGTERM, job taken by the other replica ${Math.round(takenAfter)} ms after`
  )
})
