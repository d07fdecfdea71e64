import t from 'tap'
import { applyCheckOutcome } from '../../src/checks/apply-outcome.js'
import { ChangeBus } from '../../src/changes/change-bus.js'
import { listEvents } from '../../src/events/events.repository.js'
import { leaseDueJobs } from '../../src/checks/check-jobs.repository.js'
import type { PullabilityOutcome } from '../../src/registry/index.js'
import { checkEvents, digestOf, jobRow, pullable, queueDatabase, queuedVersion, silent, versionRow } from './queue-fixtures.js'

const options = { maxAttempts: 3, backoff: { baseMs: 10_000, maxMs: 60_000 }, random: () => 0 }

t.test('applying outcomes', async (t) => {
  const db = await queueDatabase(t)
  const changes = new ChangeBus(silent)
  const lease = async (versionId: string) => {
    const jobs = await leaseDueJobs(db, { limit: 100, workerId: 'w1', leaseMs: 60_000 })
    const job = jobs.find((j) => j.versionId === versionId)
    if (!job) throw new Error('job not leased')
    return job
  }
  const apply = async (versionId: string, outcome: PullabilityOutcome) =>
    applyCheckOutcome(db, changes, await lease(versionId), outcome, options)

  t.test('success → testing with digest, platforms, media type, size; the job is done', async (t) => {
    const { imageId, versionId } = await queuedVersion(db)
    const applied = await apply(versionId, pullable(digestOf(1)))
    t.same(applied, { kind: 'testing', digest: digestOf(1), previousDigest: null, digestChanged: false })
    t.match(await versionRow(db, versionId), {
      status: 'testing',
      digest: digestOf(1),
      mediaType: 'application/vnd.oci.image.index.v1+json',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' }
      ],
      size: 1234,
      checkClass: null,
      statusReason: null
    })
    t.type((await versionRow(db, versionId)).checkedAt, Date)
    t.equal(await jobRow(db, versionId), undefined)
    const events = await checkEvents(db, imageId)
    t.same(events, [
      {
        action: 'version.check_passed',
        actor: 'check-worker',
        details: {
          from: 'checking',
          to: 'testing',
          digest: digestOf(1),
          previousDigest: null,
          digestChanged: false,
          platforms: [
            { os: 'linux', architecture: 'amd64' },
            { os: 'linux', architecture: 'arm64', variant: 'v8' }
          ],
          attempts: 1,
          signedBy: null
        }
      }
    ])
  })

  t.test('a re-check records the new digest and says that it changed', async (t) => {
    const { imageId, versionId } = await queuedVersion(db, { digest: digestOf(1) })
    t.match(await apply(versionId, pullable(digestOf(2))), { kind: 'testing', previousDigest: digestOf(1), digestChanged: true })
    t.equal((await versionRow(db, versionId)).digest, digestOf(2))
    t.match((await checkEvents(db, imageId))[0]?.details, { previousDigest: digestOf(1), digest: digestOf(2), digestChanged: true })

    const same = await queuedVersion(db, { digest: digestOf(3) })
    t.match(await apply(same.versionId, pullable(digestOf(3))), { kind: 'testing', previousDigest: digestOf(3), digestChanged: false })
  })

  t.test('a permanent failure → check_failed with its class and reason', async (t) => {
    const { imageId, versionId } = await queuedVersion(db)
    const applied = await apply(versionId, { ok: false, class: 'not_found', reason: 'registry.example.com/team/app:v1 was not found' })
    t.same(applied, { kind: 'check_failed', checkClass: 'not_found', reason: 'registry.example.com/team/app:v1 was not found' })
    t.match(await versionRow(db, versionId), {
      status: 'check_failed',
      checkClass: 'not_found',
      statusReason: 'registry.example.com/team/app:v1 was not found',
      digest: null
    })
    t.equal(await jobRow(db, versionId), undefined)
    t.match(await checkEvents(db, imageId), [
      { action: 'version.check_failed', details: { from: 'checking', to: 'check_failed', checkClass: 'not_found', attempts: 1 } }
    ])
    for (const cls of ['unauthorized', 'invalid', 'refused'] as const) {
      const other = await queuedVersion(db)
      t.match(await apply(other.versionId, { ok: false, class: cls, reason: cls }), { kind: 'check_failed', checkClass: cls }, cls)
    }
  })

  t.test('a transient failure is retried with backoff, then fails after the last attempt', async (t) => {
    const { imageId, versionId } = await queuedVersion(db)
    const down = { ok: false as const, class: 'unavailable' as const, reason: 'could not connect to registry.example.com' }
    for (let attempt = 1; attempt <= 2; attempt++) {
      const before = Date.now()
      const applied = await apply(versionId, down)
      t.same(applied, { kind: 'retry', delayMs: 5000 * 2 ** (attempt - 1) }, `attempt ${attempt}: half of base·2^(n-1) with random() = 0`)
      const job = await jobRow(db, versionId)
      t.match(job, { attempts: attempt, lockedBy: null, lockedUntil: null, lastError: down.reason })
      const wait = (job?.runAt.getTime() ?? 0) - before
      t.ok(
        wait > 5000 * 2 ** (attempt - 1) - 2000 && wait < 5000 * 2 ** (attempt - 1) + 2000,
        `runs again in about ${5 * 2 ** (attempt - 1)} s (${wait} ms)`
      )
      const v = await versionRow(db, versionId)
      t.equal(v.status, 'checking')
      t.equal(v.checkClass, 'unavailable')
      t.match(v.statusReason, new RegExp(`attempt ${attempt} of 3; next attempt around`))
      t.same(await leaseDueJobs(db, { limit: 10, workerId: 'w1', leaseMs: 1000 }), [], 'not due before its time')
      await db
        .updateTable('checkJobs')
        .set({ runAt: new Date(Date.now() - 1000) })
        .where('versionId', '=', versionId)
        .execute()
    }
    const last = await apply(versionId, down)
    t.match(last, { kind: 'check_failed', checkClass: 'unavailable', reason: `${down.reason} (gave up after 3 attempts)` })
    t.equal((await versionRow(db, versionId)).status, 'check_failed')
    t.equal(await jobRow(db, versionId), undefined)
    t.same(
      (await checkEvents(db, imageId)).map((e) => e.action),
      ['version.check_retry_scheduled', 'version.check_retry_scheduled', 'version.check_failed'],
      'each retry is a change of the version (its statusReason), written to the outbox'
    )
    t.same(
      (await listEvents(db, imageId, 10)).map((e) => e.action),
      ['version.check_failed'],
      'retries are not audit events; the verdict is'
    )
  })

  t.test("rate limiting honours the registry's Retry-After", async (t) => {
    const { versionId } = await queuedVersion(db)
    const applied = await apply(versionId, { ok: false, class: 'rate_limited', reason: 'HTTP 429', retryAfterMs: 45_000 })
    t.same(applied, { kind: 'retry', delayMs: 45_000 })
    t.equal((await versionRow(db, versionId)).checkClass, 'rate_limited')
  })

  t.test('a late result for a cancelled version is dropped, and its job deleted', async (t) => {
    const { imageId, versionId } = await queuedVersion(db)
    const job = await lease(versionId)
    await db.updateTable('imageVersions').set({ status: 'cancelled' }).where('id', '=', versionId).execute()
    t.same(await applyCheckOutcome(db, changes, job, pullable(digestOf(9)), options), { kind: 'dropped', why: 'not_checking' })
    t.match(await versionRow(db, versionId), { status: 'cancelled', digest: null })
    t.equal(await jobRow(db, versionId), undefined)
    t.same(await checkEvents(db, imageId), [])
  })

  t.test('a result from a lease that was lost (expired and taken, or re-queued) is dropped', async (t) => {
    const { versionId } = await queuedVersion(db)
    const stale = await lease(versionId)
    // The lease ran out and another worker took the job: same id, new holder, one more attempt.
    await db
      .updateTable('checkJobs')
      .set({ lockedBy: 'w2', attempts: stale.attempts + 1 })
      .where('id', '=', stale.id)
      .execute()
    t.same(await applyCheckOutcome(db, changes, stale, pullable(digestOf(5)), options), { kind: 'dropped', why: 'lease_lost' })
    t.match(await versionRow(db, versionId), { status: 'checking', digest: null })
    t.ok(await jobRow(db, versionId), 'the job stays with its new holder')
  })
})
