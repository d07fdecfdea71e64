import t from 'tap'
import { CheckWorker } from '../../src/checks/check-worker.js'
import { ChangeBus } from '../../src/changes/change-bus.js'
import { failure, type PullabilityOutcome } from '../../src/registry/index.js'
import {
  digestOf,
  jobRow,
  pullable,
  queueDatabase,
  queuedVersion,
  ScriptedChecker,
  silent,
  startWorker,
  versionRow,
  waitFor
} from './queue-fixtures.js'

const deferred = <T>() => {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

t.test('the check worker', async (t) => {
  const db = await queueDatabase(t)
  const settled = (versionId: string) =>
    waitFor(async () => {
      const v = await versionRow(db, versionId)
      return v.status === 'checking' ? undefined : v
    })

  t.test('checks queued versions and records the outcome', async (t) => {
    const { versionId } = await queuedVersion(db, { tag: 'one' })
    const checker = new ScriptedChecker(() => pullable(digestOf(11)))
    startWorker(t, db, checker)
    t.match(await settled(versionId), { status: 'testing', digest: digestOf(11) })
    t.same(checker.calls, ['registry.example.com/team/app:one'])
  })

  t.test('wake() picks up a new job at once, without waiting for the poll', async (t) => {
    const checker = new ScriptedChecker(() => pullable(digestOf(12)))
    const worker = startWorker(t, db, checker, { pollIntervalMs: 60_000 })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const { versionId } = await queuedVersion(db)
    const started = Date.now()
    worker.wake()
    await settled(versionId)
    t.ok(Date.now() - started < 5_000, 'done long before the next poll')
  })

  t.test('runs at most `concurrency` checks at once', async (t) => {
    let running = 0
    let peak = 0
    const checker = new ScriptedChecker(async () => {
      running++
      peak = Math.max(peak, running)
      await new Promise((resolve) => setTimeout(resolve, 30))
      running--
      return pullable(digestOf(13))
    })
    const queued = await Promise.all(Array.from({ length: 8 }, () => queuedVersion(db)))
    startWorker(t, db, checker, { concurrency: 2 })
    for (const { versionId } of queued) await settled(versionId)
    t.equal(peak, 2)
    t.equal(checker.calls.length, 8)
  })

  t.test('two replicas share the queue: every job is checked once', async (t) => {
    const queued = await Promise.all(Array.from({ length: 30 }, () => queuedVersion(db)))
    const slow = async () => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      return pullable(digestOf(14))
    }
    const a = new ScriptedChecker(slow)
    const b = new ScriptedChecker(slow)
    startWorker(t, db, a, { workerId: 'replica-a' })
    startWorker(t, db, b, { workerId: 'replica-b' })
    for (const { versionId } of queued) t.equal((await settled(versionId)).status, 'testing')
    t.equal(a.calls.length + b.calls.length, 30, 'no job was checked twice')
    t.ok(a.calls.length > 0 && b.calls.length > 0, `both replicas worked (${a.calls.length} + ${b.calls.length})`)
  })

  t.test("a dead replica's job is taken again when its lease runs out; its late result is dropped", async (t) => {
    const { versionId } = await queuedVersion(db)
    const never = deferred<PullabilityOutcome>()
    const dead = new ScriptedChecker(() => never.promise)
    const deadWorker = new CheckWorker({
      db,
      changes: new ChangeBus(silent),
      log: silent,
      checker: dead,
      revealCredential: async () => ({ username: 'u', password: 'p', registries: ['registry.example.com'] }),
      concurrency: 1,
      pollIntervalMs: 20,
      maxAttempts: 3,
      leaseMs: 300,
      workerId: 'dead'
    })
    deadWorker.start()
    await waitFor(async () => (dead.calls.length > 0 ? true : undefined))
    t.match(await jobRow(db, versionId), { lockedBy: 'dead', attempts: 1 })

    const alive = new ScriptedChecker(() => pullable(digestOf(15)))
    startWorker(t, db, alive, { workerId: 'alive' })
    const v = await settled(versionId)
    t.match(v, { status: 'testing', digest: digestOf(15) })
    never.resolve(pullable(digestOf(99)))
    await deadWorker.stop()
    t.equal((await versionRow(db, versionId)).digest, digestOf(15), "the dead replica's result did not overwrite")
  })

  t.test('pause() lets the running check finish and takes no new jobs (the drain)', async (t) => {
    const { versionId } = await queuedVersion(db)
    const gate = deferred<PullabilityOutcome>()
    const checker = new ScriptedChecker(() => gate.promise)
    const worker = startWorker(t, db, checker, { concurrency: 1, pollIntervalMs: 20 })
    await waitFor(async () => (checker.calls.length > 0 ? true : undefined))
    worker.pause()
    const later = await queuedVersion(db)
    gate.resolve(pullable(digestOf(16)))
    await settled(versionId)
    t.equal((await versionRow(db, versionId)).status, 'testing', 'the running check was recorded')
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.equal((await versionRow(db, later.versionId)).status, 'checking', 'no job taken while paused')
    t.equal(checker.calls.length, 1)
    await db.deleteFrom('checkJobs').where('versionId', '=', later.versionId).execute()
  })

  t.test('stop() cuts the running check short and hands its job back at once, the attempt not counted', async (t) => {
    const { versionId } = await queuedVersion(db)
    let started = false
    // A registry that never answers: only the abort ends the check.
    const checker = {
      checkPullability: (_ref: string, _login?: unknown, signal?: AbortSignal) =>
        new Promise<PullabilityOutcome>((resolve) => {
          started = true
          signal?.addEventListener('abort', () => resolve(failure('unavailable', 'aborted')))
        })
    }
    const worker = startWorker(t, db, checker, { concurrency: 1 })
    await waitFor(async () => (started ? true : undefined))
    const later = await queuedVersion(db)
    await worker.stop()
    const job = await db
      .selectFrom('checkJobs')
      .selectAll()
      .where('versionId', '=', versionId)
      .where('kind', '=', 'pullability')
      .executeTakeFirstOrThrow()
    t.equal(job.lockedBy, null, 'handed back: no holder')
    t.equal(job.lockedUntil, null, 'no lease to wait out')
    t.equal(job.attempts, 0, 'the cut-short attempt does not count')
    t.ok(job.runAt.getTime() <= Date.now(), 'due at once')
    t.equal((await versionRow(db, versionId)).status, 'checking', 'nothing recorded for the cut-short run')
    t.equal((await versionRow(db, later.versionId)).status, 'checking', 'no job taken after stop')
    await db.deleteFrom('checkJobs').where('versionId', 'in', [versionId, later.versionId]).execute()
  })

  t.test('credentials are revealed for the check; a failure to reveal is retried, then reported', async (t) => {
    const { versionId } = await queuedVersion(db)
    const credential = await db
      .insertInto('registryCredentials')
      .values({
        project: 'p1',
        name: `c-${versionId.slice(0, 8)}`,
        username: 'robot',
        registries: ['registry.example.com'],
        secretCiphertext: Buffer.from('x'),
        secretKeyId: 'k',
        createdBy: 'test'
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await db.updateTable('imageVersions').set({ credentialId: credential.id }).where('id', '=', versionId).execute()
    const seen: unknown[] = []
    const checker = { checkPullability: async (_ref: string, login?: unknown) => (seen.push(login), pullable(digestOf(17))) }
    startWorker(t, db, checker, {
      revealCredential: async (id) => ({ username: `user-of-${id.slice(0, 4)}`, password: 'pw', registries: ['registry.example.com'] })
    })
    await settled(versionId)
    t.same(seen, [{ username: `user-of-${credential.id.slice(0, 4)}`, password: 'pw', registries: ['registry.example.com'] }])
  })

  t.test('a credential not bound to the version registry is never handed to the registry client', async (t) => {
    const { versionId } = await queuedVersion(db)
    const credential = await db
      .insertInto('registryCredentials')
      .values({
        project: 'p1',
        name: `c-${versionId.slice(0, 8)}`,
        username: 'robot',
        registries: [],
        secretCiphertext: Buffer.from('x'),
        secretKeyId: 'k',
        createdBy: 'test'
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await db.updateTable('imageVersions').set({ credentialId: credential.id }).where('id', '=', versionId).execute()
    const checker = new ScriptedChecker(() => pullable(digestOf(20)))
    startWorker(t, db, checker, {
      revealCredential: async () => ({ username: 'robot', password: 'pw', registries: ['elsewhere.example.com'] })
    })
    t.match(await settled(versionId), {
      status: 'check_failed',
      checkClass: 'unauthorized',
      statusReason:
        /is bound to elsewhere\.example\.com only, not to registry\.example\.com.*add "registry\.example\.com" to the credential's registries with PATCH/
    })
    t.same(checker.calls, [], 'the registry was not contacted')
  })

  t.test('a stored single-label registry is not read as a Docker Hub namespace', async (t) => {
    const { versionId } = await queuedVersion(db)
    await db.updateTable('imageVersions').set({ registry: 'harbor' }).where('id', '=', versionId).execute()
    const checker = new ScriptedChecker(() => pullable(digestOf(21)))
    startWorker(t, db, checker)
    t.match(await settled(versionId), {
      status: 'check_failed',
      checkClass: 'invalid',
      statusReason: /"harbor" is a single name without a dot or port/
    })
    t.same(checker.calls, [])
  })

  t.test('an unreadable credential fails the check after the retries, without calling the registry', async (t) => {
    const { versionId } = await queuedVersion(db)
    const credential = await db
      .insertInto('registryCredentials')
      .values({
        project: 'p1',
        name: `c-${versionId.slice(0, 8)}`,
        username: 'robot',
        registries: ['registry.example.com'],
        secretCiphertext: Buffer.from('x'),
        secretKeyId: 'k',
        createdBy: 'test'
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await db.updateTable('imageVersions').set({ credentialId: credential.id }).where('id', '=', versionId).execute()
    const checker = new ScriptedChecker(() => pullable(digestOf(18)))
    startWorker(t, db, checker, {
      maxAttempts: 2,
      revealCredential: async () => {
        throw new Error('key missing')
      }
    })
    const v = await settled(versionId)
    t.match(v, { status: 'check_failed', checkClass: 'unavailable', statusReason: /could not be read.*gave up after 2 attempts/ })
    t.same(checker.calls, [])
  })

  t.test('a checker that throws counts as a transient failure', async (t) => {
    const { versionId } = await queuedVersion(db)
    const checker = new ScriptedChecker((_ref, call) => {
      if (call === 1) throw new Error('boom')
      return pullable(digestOf(19))
    })
    startWorker(t, db, checker)
    t.match(await settled(versionId), { status: 'testing', digest: digestOf(19) })
    t.equal(checker.calls.length, 2)
  })
})
