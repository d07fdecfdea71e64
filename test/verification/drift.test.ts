import t from 'tap'
import { build } from '../helpers/app.js'
import { readManifest, putManifest } from '../helpers/registry/manifest-ops.js'
import { getVersion, push, registryEnv, startTestRegistry } from '../versions/fixtures.js'
import { eventsOf, releasedVersion, versionRow, waitFor } from './fixtures.js'

t.test('a re-pushed tag drifts the released version; pushing the original back clears it', async (t) => {
  const registry = await startTestRegistry(t)
  const app = await build(t, {
    env: { ...registryEnv(registry), VERIFY_INTERVAL: '2s', CHECK_POLL_INTERVAL_MS: '100', VERIFY_CONFIRM_DELAY_MS: '300' }
  })
  const at = { registry: registry.host, repository: 'team/drift', tag: '1.0' }
  const original = await push(registry, at.repository, at.tag)
  const released = await releasedVersion(app, 'drift', at)
  t.equal(released.digest, original.digest)
  const pinned = await readManifest(registry, at.repository, original.digest)

  const first = await waitFor('the first verification', async () => (await versionRow(app, 'drift')).verifiedAt ?? undefined)
  t.ok(first, 'verified on schedule without being asked')
  t.same(await eventsOf(app, 'drift', 'version.drifted'), [], 'no drift while the tag is where it was')

  const repushed = await push(registry, at.repository, at.tag)
  const repushedAt = Date.now()
  const [drifted] = await waitFor('version.drifted', async () => {
    const events = await eventsOf(app, 'drift', 'version.drifted')
    return events.length > 0 ? events : undefined
  })
  const latencyMs = Date.now() - repushedAt
  t.comment(`re-push → version.drifted in ${latencyMs} ms (VERIFY_INTERVAL 2s, jittered 1.5–2.5 s, poll 100 ms)`)
  t.ok(latencyMs < 5_000, 'within one jittered interval and a poll')
  t.match(drifted, {
    details: { digest: original.digest, tag: '1.0', upstreamDigest: repushed.digest, firstSeenAt: String },
    actor: 'verification-worker'
  })

  const row = await versionRow(app, 'drift')
  t.match(row, { status: 'released', digest: original.digest, upstreamDigest: repushed.digest, missingCount: 0, unavailableSince: null })
  t.ok(row.upstreamSeenAt, 'first seen recorded')
  const view = (await getVersion(app, 'drift', '1.0.0')) as unknown as Record<string, unknown>
  t.equal(view.digest, original.digest, 'the version keeps its pinned digest')
  if ('verification' in view) {
    t.match(view.verification, {
      drift: { upstreamDigest: repushed.digest, firstSeenAt: row.upstreamSeenAt?.toISOString() },
      available: true
    })
  } else t.comment('the Version view has no verification field yet; asserted on the row')

  // A later verification of the same drift changes nothing and writes no second event.
  const verifiedBefore = row.verifiedAt
  await waitFor('another verification', async () => {
    const again = await versionRow(app, 'drift')
    return again.verifiedAt && verifiedBefore && again.verifiedAt > verifiedBefore ? again : undefined
  })
  t.equal((await eventsOf(app, 'drift', 'version.drifted')).length, 1, 'one event per drift, not per verification')
  t.equal((await versionRow(app, 'drift')).upstreamSeenAt?.getTime(), row.upstreamSeenAt?.getTime(), 'first seen kept')

  await putManifest(registry, at.repository, at.tag, pinned)
  const [cleared] = await waitFor('version.drift_cleared', async () => {
    const events = await eventsOf(app, 'drift', 'version.drift_cleared')
    return events.length > 0 ? events : undefined
  })
  t.match(cleared, {
    details: {
      digest: original.digest,
      tag: '1.0',
      previousUpstreamDigest: repushed.digest,
      driftedSince: row.upstreamSeenAt?.toISOString()
    }
  })
  t.match(await versionRow(app, 'drift'), { upstreamDigest: null, upstreamSeenAt: null, status: 'released' })
})
