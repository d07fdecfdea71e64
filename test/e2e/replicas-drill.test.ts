// Issue 14, item 4: three replicas on one PostgreSQL, their queries through PgBouncer in transaction
// pooling and LISTEN on a direct connection, behind a round-robin proxy that does what a Kubernetes
// Service does, under continuous resolve load. A replica SIGKILLed during a check leaves its job to
// another one after the lease, applied exactly once; restarted one by one meanwhile, no resolve
// fails; a release through one replica reaches all three; a replica sent SIGTERM during a check
// hands the job back at once. The lease runs out during the rolling restart, to keep the drill short.
import t, { type Test } from 'tap'
import { ADMIN_TOKEN, TEST_CREDENTIALS_KEY } from '../helpers/app.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import { startPgBouncer } from '../helpers/pgbouncer.js'
import { pushImage, startFaultProxy, trustedHosts, type FaultProxy, type RigRegistry } from '../helpers/registry/index.js'
import { startRoundRobinProxy, type RoundRobinProxy } from '../helpers/round-robin-proxy.js'
import { call, drillDatabase, waitChecked, type DrillDatabase } from './drill-client.js'
import { createReplica, summarizeLog, type Replica } from './replica-process.js'
import { between, startResolveLoad, type LoadFigures, type ResolveLoad } from './resolve-load.js'
import { pollUntil, resolveUrl, sleep, startStoryRegistry } from './story-helpers.js'

// Pipelines resolve RESOLVED; the slow checks are versions of CHECKED, so one can stay `checking`
// while RESOLVED gets a new release (an image has one version in progress at a time).
const RESOLVED = 'drill-tools'
const CHECKED = 'drill-checked'
const REPO = 'tools/drill'
const DRAIN_DELAY_MS = 1000
// Low, so a lease (twice this plus 30 s, as the checks plugin sets it) runs out within the drill; yet
// above the drain delay with room to spare, so a check handed back on SIGTERM completes elsewhere
// before its own registry request could have timed out, which only the hand-back explains.
const REGISTRY_TIMEOUT_MS = 5000
const LEASE_MS = 2 * REGISTRY_TIMEOUT_MS + 30_000
const READY_LIMIT_MS = 10_000
// Sixteen connections that each pause a little between requests: a steady stream the restarted
// replicas can start under on a small shared machine, not a benchmark.
const LOAD_PAUSE_MS = 10
const SEEN_LIMIT_MS = 2000
const RESOLVE_PATH = resolveUrl(RESOLVED, { version: '1.latest', project: 'web' })

interface Rig {
  registry: RigRegistry
  slow: FaultProxy
  replicas: Replica[]
  proxy: RoundRobinProxy
  db: DrillDatabase
  load: ResolveLoad
}

interface KilledCheck {
  version: string
  versionId: string
  holder: Replica
  killedAt: number
  /** When the dead holder's lease runs out (database clock). */
  lockedUntil: Date
  /** Resolves with the milliseconds from the kill to the check_passed event (or the limit). */
  completed: Promise<number>
  /** Resolves with the milliseconds the killed replica took to start again. */
  restarted: Promise<number>
}

interface Snapshot {
  load: LoadFigures
  retried: number
}

const snapshot = (rig: Rig): Snapshot => ({ load: rig.load.figures(), retried: rig.proxy.retried.length })

/** What the client saw since `before`, as a comment; returns it for assertions. */
const phaseComment = (t: Test, rig: Rig, what: string, before: Snapshot) => {
  const d = between(before.load, rig.load.figures())
  const retried = rig.proxy.retried.length - before.retried
  t.comment(
    `${what}: ${d.sent} resolves sent, ${d.non200} non-200, ${d.transportErrors} transport errors (${retried} retried by the proxy on another replica)`
  )
  return d
}

const release = (origin: string, code: string, version: string) => call(origin, 'POST', `/v1/images/${code}/versions/${version}/release`)

/** Pushes `tag`, submits it as a version of `code` through `origin` against `registryHost`; returns the version number the server gave. */
async function submit(rig: Rig, origin: string, code: string, tag: string, registryHost: string, releaseType?: string): Promise<string> {
  await pushImage(rig.registry, { repository: REPO, tag, kind: 'oci-image' })
  const res = await call(origin, 'POST', `/v1/images/${code}/versions`, {
    payload: { registry: registryHost, repository: REPO, tag, ...(releaseType ? { releaseType } : {}) }
  })
  if (res.status !== 202) throw new Error(`submit ${code} ${tag}: ${res.status} ${JSON.stringify(res.body)}`)
  return String(res.body.version)
}

/**
 * Submits a version of CHECKED whose registry request hangs, and waits until a replica holds its
 * check with that request in flight; returns the version and the replica.
 */
async function checkInFlight(t: Test, rig: Rig, tag: string, releaseType?: string) {
  rig.slow.setMode('hang')
  const requestsBefore = rig.slow.requests.length
  const version = await submit(rig, rig.proxy.url, CHECKED, tag, rig.slow.host, releaseType)
  const versionId = await rig.db.versionId(CHECKED, version)
  const { value: lease } = await pollUntil(
    async () => {
      const held = await rig.db.lease(versionId)
      return held && rig.slow.requests.length > requestsBefore ? held : undefined
    },
    10,
    READY_LIMIT_MS
  )
  t.ok(lease, `a replica holds the check of ${version} (${lease?.lockedBy}) and its registry request is in flight`)
  const pid = lease?.lockedBy.split(':')[1]
  return { version, versionId, lease, holder: rig.replicas.find((r) => String(r.pid) === pid) }
}

/** Polls until the version has a check_passed event; returns the milliseconds from `since`. */
async function checkCompleted(rig: Rig, versionId: string, since: number, limitMs: number): Promise<number> {
  await pollUntil(async () => ((await rig.db.checkPassed(versionId)).length > 0 ? true : undefined), 20, limitMs)
  return Date.now() - since
}

async function killDuringCheck(t: Test, rig: Rig): Promise<KilledCheck | undefined> {
  const before = snapshot(rig)
  const { version, versionId, lease, holder } = await checkInFlight(t, rig, '2.0')
  if (!holder || !lease) return void t.fail('the check is held by none of the replicas')
  const killedAt = Date.now()
  const exit = await holder.kill()
  rig.slow.setMode('pass')
  t.equal(exit.signal, 'SIGKILL', `replica ${holder.name} killed during the check of ${CHECKED} ${version}`)
  // Give the proxy a moment to see it gone, so the load's figures below include the kill itself.
  t.ok(await rig.proxy.waitReady(holder.url, false, READY_LIMIT_MS), `the proxy takes replica ${holder.name} out`)
  phaseComment(t, rig, 'SIGKILL of one replica', before)
  const completed = checkCompleted(rig, versionId, killedAt, LEASE_MS + 30_000)
  // As Kubernetes restarts a crashed container; the job stays leased to the dead process meanwhile.
  const restarted = holder.start()
  // Awaited by later subtests; a failure meanwhile must reach them, not end the process.
  completed.catch(() => {})
  restarted.catch(() => {})
  return { version, versionId, holder, killedAt, lockedUntil: lease.lockedUntil, completed, restarted }
}

/**
 * SIGTERM, exit 0, start again, one replica after the other; the killed replica, restarting while
 * the first one goes, is the last. Until it is back, only one replica serves.
 */
async function restartOneByOne(t: Test, rig: Rig, killed: KilledCheck | undefined) {
  const before = snapshot(rig)
  const order = [...rig.replicas.filter((r) => r !== killed?.holder), ...(killed ? [killed.holder] : [])]
  for (const replica of order) {
    if (replica === killed?.holder) {
      t.comment(`replica ${replica.name} started again after the kill and was ready ${await killed.restarted} ms later`)
      t.ok(await rig.proxy.waitReady(replica.url, true, READY_LIMIT_MS), `replica ${replica.name} is back behind the proxy after the kill`)
    }
    const exit = await replica.terminate()
    t.equal(exit.code, 0, `replica ${replica.name} exits 0 after SIGTERM`)
    const startMs = await replica.start()
    t.comment(`replica ${replica.name}: SIGTERM to exit ${exit.ms} ms; started again and ready in ${startMs} ms`)
    // As a Deployment with maxUnavailable 1: the next one goes only when this one takes traffic again.
    t.ok(await rig.proxy.waitReady(replica.url, true, READY_LIMIT_MS), `replica ${replica.name} is back behind the proxy`)
  }
  const d = phaseComment(t, rig, 'rolling restart', before)
  t.ok(d.sent > 0, 'resolve load ran during the restarts')
  t.equal(d.non200, 0, 'no resolve answered other than 200 during the rolling restart')
  t.equal(d.transportErrors, 0, 'no resolve met a transport error during the rolling restart')
}

async function releaseSeenEverywhere(t: Test, rig: Rig) {
  const [through] = rig.replicas as [Replica]
  const version = await submit(rig, through.url, RESOLVED, '1.1', rig.registry.host, 'minor')
  t.match(await waitChecked(through.url, RESOLVED, version, 15_000), { status: 'testing' }, `${version} checked`)
  t.equal((await release(through.url, RESOLVED, version)).status, 200, `${version} released through ${through.name}`)
  const releasedAt = Date.now()
  for (const replica of rig.replicas) {
    const { value } = await pollUntil(
      async () => ((await call(replica.url, 'GET', RESOLVE_PATH)).body.version === version ? version : undefined),
      20,
      Math.max(0, releasedAt + SEEN_LIMIT_MS - Date.now())
    )
    t.equal(value, version, `replica ${replica.name}, asked directly, resolves ${version}`)
    t.comment(
      `replica ${replica.name} resolved ${version} ${Date.now() - releasedAt} ms after the release answer (replicas are asked in turn)`
    )
  }
}

async function killedCheckCompletes(t: Test, rig: Rig, killed: KilledCheck) {
  const ms = await killed.completed
  await sleep(500)
  const passed = await rig.db.checkPassed(killed.versionId)
  t.equal(passed.length, 1, `the check of ${CHECKED} ${killed.version} completed exactly once`)
  t.equal(passed[0]?.attempts, 2, "applied by the second lease, taken once the killed holder's ran out")
  t.ok(passed[0] && passed[0].createdAt >= killed.lockedUntil, "applied only after the dead holder's lease ran out")
  t.equal(await rig.db.checkJobs(), 0, 'no check job is left')
  t.match(await waitChecked(rig.proxy.url, CHECKED, killed.version, 1000), { status: 'testing' }, `${killed.version} is testing`)
  t.comment(`SIGKILL during a check: completed ${ms} ms after the kill (lease ${LEASE_MS} ms)`)
  // One version in progress per image: this one is released before the next is submitted.
  t.equal((await release(rig.proxy.url, CHECKED, killed.version)).status, 200, `${killed.version} released`)
}

async function terminateDuringCheck(t: Test, rig: Rig) {
  const before = snapshot(rig)
  const { version, versionId, holder } = await checkInFlight(t, rig, '2.1', 'minor')
  if (!holder) return t.fail('the check is held by none of the replicas')
  const exiting = holder.terminate()
  const terminatedAt = Date.now()
  // The request already hanging stays hung: only an abort frees the job before the registry timeout.
  rig.slow.setMode('pass')
  const ms = await checkCompleted(rig, versionId, terminatedAt, LEASE_MS)
  const exit = await exiting
  t.equal(exit.code, 0, `replica ${holder.name} exits 0 after SIGTERM during a check`)
  t.ok(
    ms < REGISTRY_TIMEOUT_MS,
    `the check was handed back and completed elsewhere ${ms} ms after SIGTERM, before its own registry timeout`
  )
  await sleep(500)
  const passed = await rig.db.checkPassed(versionId)
  t.equal(passed.length, 1, `the check of ${CHECKED} ${version} completed exactly once`)
  t.equal(await rig.db.checkJobs(), 0, 'no check job is left')
  t.comment(
    `SIGTERM during a check: replica ${holder.name} exited ${exit.ms} ms after SIGTERM; the handed-back check completed ${ms} ms after SIGTERM (attempt ${passed[0]?.attempts}; lease ${LEASE_MS} ms)`
  )
  const d = phaseComment(t, rig, 'SIGTERM during a check', before)
  t.equal(d.non200 + d.transportErrors, 0, 'no resolve failed while a replica shut down during a check')
}

// Each replica start costs seconds of CPU and the drill makes several in a row: on a busy machine it
// needs more than the suite's per-file budget. Every wait inside is bounded on its own.
t.setTimeout(420_000)

t.test('three replicas behind PgBouncer: SIGKILL during a check, rolling restart, a release, SIGTERM during a check', async (t) => {
  const directUrl = await freshDatabaseUrl(t)
  const bouncer = await startPgBouncer(t, directUrl)
  const registry = await startStoryRegistry(t, { auth: 'none' })
  const slow = await startFaultProxy(registry)
  t.teardown(slow.stop)
  const hosts = trustedHosts(registry, slow).join(',')
  const env = {
    DATABASE_URL: bouncer.url,
    DATABASE_DIRECT_URL: directUrl,
    ADMIN_TOKEN,
    CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
    DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
    REGISTRY_TIMEOUT_MS: String(REGISTRY_TIMEOUT_MS),
    REGISTRY_CONNECT_TIMEOUT_MS: '1000',
    REGISTRY_INSECURE_HOSTS: hosts,
    REGISTRY_ALLOWED_PRIVATE_HOSTS: hosts,
    LOG_LEVEL: 'warn'
  }
  const replicas = await Promise.all(['a', 'b', 'c'].map((name) => createReplica(t, name, env)))
  // All at once, as a Deployment starts them: they agree on the migrations and the admin token.
  const startMs = await Promise.all(replicas.map((r) => r.start()))
  t.comment(`started together on a fresh database: ready in ${startMs.join(', ')} ms`)
  const proxy = await startRoundRobinProxy({ backends: replicas.map((r) => r.url) })
  t.teardown(proxy.stop)
  const db = drillDatabase(directUrl)
  t.teardown(db.close)

  for (const code of [RESOLVED, CHECKED]) {
    const image = await call(proxy.url, 'POST', '/v1/images', {
      payload: { code, name: `Drill ${code}`, ownerProject: 'platform', visibility: { public: true } }
    })
    t.equal(image.status, 201, `image ${code} associated through the proxy`)
  }
  const rig: Rig = { registry, slow, replicas, proxy, db, load: undefined as unknown as ResolveLoad }
  const firstVersion = await submit(rig, proxy.url, RESOLVED, '1.0', registry.host)
  t.match(await waitChecked(proxy.url, RESOLVED, firstVersion, 15_000), { status: 'testing' }, `${firstVersion} checked`)
  t.equal((await release(proxy.url, RESOLVED, firstVersion)).status, 200, `${firstVersion} released`)
  const tokenRes = await call(proxy.url, 'POST', '/v1/tokens', { payload: { name: 'pipeline-engine', scopes: ['resolve'] } })
  t.equal(tokenRes.status, 201, 'pipeline engine token created')
  const token = String(tokenRes.body.token)

  rig.load = startResolveLoad({ origin: proxy.url, path: RESOLVE_PATH, token, connections: 16, pauseMs: LOAD_PAUSE_MS })
  t.teardown(() => rig.load.stop().then(() => undefined))
  await sleep(500)

  let killed: KilledCheck | undefined
  await t.test('SIGKILL during a check', async (t) => {
    killed = await killDuringCheck(t, rig)
  })
  await t.test('rolling restart under load, while the killed check waits for its lease', (t) => restartOneByOne(t, rig, killed))
  await t.test('a release through one replica reaches every replica', (t) => releaseSeenEverywhere(t, rig))
  const killedCheck = killed
  if (killedCheck)
    await t.test('the killed check completes exactly once, on another replica', (t) => killedCheckCompletes(t, rig, killedCheck))
  await t.test('SIGTERM during a check: handed back at once', (t) => terminateDuringCheck(t, rig))

  const figures = await rig.load.stop()
  t.comment(
    `resolve load through the proxy: ${figures.sent} sent, ${figures.ok} ok, non-200 by status ${JSON.stringify(figures.statuses)}, ${figures.transportErrors} transport errors; versions ${JSON.stringify(figures.versions)}`
  )
  for (const sample of figures.samples) t.comment(`  failure: ${sample}`)
  t.comment(
    `proxy: forwarded per replica ${replicas.map((r) => `${r.name}=${proxy.forwarded[r.url]}`).join(', ')}; ${proxy.retried.length} retried on another replica; ${proxy.failed.length} answered by the proxy itself`
  )
  const nameOf = (url: string) => replicas.find((r) => r.url === url)?.name
  for (const retry of proxy.retried.slice(0, 10))
    t.comment(`  retried: ${retry.at.toISOString()} replica ${nameOf(retry.backend)} ${retry.error}`)
  for (const failure of proxy.failed.slice(0, 10)) t.comment(`  proxy: ${failure.method} ${failure.path} ${failure.error}`)
  const running = replicas.filter((r) => r.running)
  const exits = await Promise.all(running.map((r) => r.terminate()))
  running.forEach((replica, i) =>
    t.equal(exits[i]?.code, 0, `replica ${replica.name} exits 0 at the end (${exits[i]?.ms} ms after SIGTERM)`)
  )
  for (const replica of replicas) for (const line of summarizeLog(replica.output())) t.comment(`replica ${replica.name} logged: ${line}`)
})
