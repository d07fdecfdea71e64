// The one line cis prints per version, for each thing a publisher must act on, built from the
// contract's own Version example so the fixture cannot drift from what the service sends.
import t from 'tap'
import type { Schemas } from '../../src/client/index.js'
import { versionLine } from '../../src/cli/version-text.js'
import { VERSION_EXAMPLE } from '../../src/versions/versions.schemas.js'

type Version = Schemas['Version']
const plain: Version = { ...(VERSION_EXAMPLE as Version), status: 'released', allowedActions: ['withdraw'] }

t.test('a released version with nothing to report: its pinned reference alone', async (t) => {
  t.equal(plain.verification.available, true)
  t.equal(plain.verification.drift, null)
  t.equal(versionLine(plain), `${plain.imageCode} ${plain.version} released ${plain.pinnedReference}`)
})

t.test('an unavailable version says since when and why', async (t) => {
  const v: Version = {
    ...plain,
    verification: {
      ...plain.verification,
      available: false,
      unavailableSince: '2026-12-01T09:01:00.000Z',
      unavailableReason: 'the registry answered 404 for the pinned digest twice'
    }
  }
  t.equal(
    versionLine(v),
    `${v.imageCode} ${v.version} released ${v.pinnedReference} [unavailable since 2026-12-01T09:01:00.000Z: the registry answered 404 for the pinned digest twice]`
  )
})

t.test('a drifted version names where the tag points now, or that it is gone', async (t) => {
  const moved: Version = {
    ...plain,
    verification: { ...plain.verification, drift: { upstreamDigest: `sha256:${'b'.repeat(64)}`, firstSeenAt: '2026-12-01T08:00:00.000Z' } }
  }
  t.match(versionLine(moved), `[drifted: tag ${moved.tag} now points at sha256:${'b'.repeat(64)} (since 2026-12-01T08:00:00.000Z)]`)
  const gone: Version = {
    ...moved,
    verification: { ...moved.verification, drift: { upstreamDigest: null, firstSeenAt: '2026-12-01T08:00:00.000Z' } }
  }
  t.match(versionLine(gone), `[drifted: tag ${gone.tag} no longer exists (since 2026-12-01T08:00:00.000Z)]`)
})

t.test('both at once, in one bracket', async (t) => {
  const v: Version = {
    ...plain,
    verification: {
      ...plain.verification,
      available: false,
      unavailableSince: '2026-12-01T09:01:00.000Z',
      unavailableReason: 'gone',
      drift: { upstreamDigest: null, firstSeenAt: '2026-12-01T08:00:00.000Z' }
    }
  }
  t.match(versionLine(v), /\[unavailable since .*: gone; drifted: tag .* no longer exists \(since .*\)\]$/)
})
