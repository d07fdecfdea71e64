import t from 'tap'
import { build } from '../helpers/app.js'
import { deleteManifest, putManifest, readManifest } from '../helpers/registry/manifest-ops.js'
import { getVersion, push, registryEnv, startTestRegistry } from '../versions/fixtures.js'
import { eventsOf, releasedVersion, verifyNow, versionRow, waitFor } from './fixtures.js'

// The schedule is out of the way (one hour): verifications run when asked for, and the confirming
// second look after a first 404 comes after VERIFY_CONFIRM_DELAY_MS.
const CONFIRM_MS = 1500

t.test('a vanished digest: one 404 is not enough, two make the version unavailable, its return makes it available', async (t) => {
  const registry = await startTestRegistry(t)
  const app = await build(t, {
    env: { ...registryEnv(registry), VERIFY_INTERVAL: '1h', CHECK_POLL_INTERVAL_MS: '100', VERIFY_CONFIRM_DELAY_MS: String(CONFIRM_MS) }
  })

  t.test('a single 404 followed by the digest back does not make it unavailable', async (t) => {
    const at = { registry: registry.host, repository: 'team/flaky', tag: '1.0' }
    const pushed = await push(registry, at.repository, at.tag)
    await releasedVersion(app, 'flaky', at)
    const manifest = await readManifest(registry, at.repository, pushed.digest)

    await deleteManifest(registry, at.repository, pushed.digest)
    t.equal((await verifyNow(app, 'flaky')).statusCode, 202)
    const missing = await waitFor('the first 404', async () => {
      const row = await versionRow(app, 'flaky')
      return row.missingCount === 1 ? row : undefined
    })
    t.equal(missing.unavailableSince, null, 'not unavailable after one 404')
    await putManifest(registry, at.repository, at.tag, manifest)

    // The confirming look is due after the confirm delay, not after the hour.
    const back = await waitFor(
      'the confirming verification',
      async () => {
        const row = await versionRow(app, 'flaky')
        return row.missingCount === 0 && row.verifiedAt ? row : undefined
      },
      CONFIRM_MS + 5_000
    )
    t.match(back, { status: 'released', unavailableSince: null, unavailableReason: null })
    t.same(await eventsOf(app, 'flaky', 'version.unavailable'), [], 'no version.unavailable')
  })

  t.test('deleted and confirmed → unavailable; pushed back → available', async (t) => {
    const at = { registry: registry.host, repository: 'team/vanish', tag: '1.0' }
    const pushed = await push(registry, at.repository, at.tag)
    await releasedVersion(app, 'vanish', at)
    const manifest = await readManifest(registry, at.repository, pushed.digest)
    t.equal((await verifyNow(app, 'vanish')).statusCode, 202)
    await waitFor('a verification that found the digest', async () => (await versionRow(app, 'vanish')).verifiedAt ?? undefined)

    await deleteManifest(registry, at.repository, pushed.digest)
    const deletedAt = Date.now()
    t.equal((await verifyNow(app, 'vanish')).statusCode, 202)
    const [unavailable] = await waitFor(
      'version.unavailable',
      async () => {
        const events = await eventsOf(app, 'vanish', 'version.unavailable')
        return events.length > 0 ? events : undefined
      },
      CONFIRM_MS + 5_000
    )
    t.ok(Date.now() - deletedAt >= CONFIRM_MS, 'the second look waited for the confirm delay')
    t.match(unavailable, {
      actor: 'verification-worker',
      details: { status: 'released', cause: 'digest_missing', reason: new RegExp(`${pushed.digest}.*2 verifications in a row`) }
    })
    const row = await versionRow(app, 'vanish')
    t.match(row, { status: 'released', missingCount: 2, unavailableReason: new RegExp(pushed.digest) })
    t.ok(row.unavailableSince, 'unavailable since recorded')
    const view = (await getVersion(app, 'vanish', '1.0.0')) as unknown as Record<string, unknown>
    t.equal(view.status, 'released', 'availability is not a status')
    if ('verification' in view) t.match(view.verification, { available: false, unavailableSince: row.unavailableSince?.toISOString() })

    await putManifest(registry, at.repository, at.tag, manifest)
    t.equal((await verifyNow(app, 'vanish')).statusCode, 202)
    const [available] = await waitFor('version.available', async () => {
      const events = await eventsOf(app, 'vanish', 'version.available')
      return events.length > 0 ? events : undefined
    })
    t.match(available, { details: { status: 'released', unavailableSince: row.unavailableSince?.toISOString() } })
    t.match(await versionRow(app, 'vanish'), { missingCount: 0, unavailableSince: null, unavailableReason: null, status: 'released' })
    t.equal((await eventsOf(app, 'vanish', 'version.unavailable')).length, 1, 'one version.unavailable')
  })
})
