import t from 'tap'
import { decideVerification, type SignatureJudgement, type VerificationState } from '../../src/verification/verification-rules.js'
import { jitteredIntervalMs, nextVerificationDelayMs } from '../../src/verification/verification-schedule.js'

const PINNED = `sha256:${'a'.repeat(64)}`
const OTHER = `sha256:${'b'.repeat(64)}`
const THIRD = `sha256:${'c'.repeat(64)}`
const NOW = new Date('2026-12-01T12:00:00.000Z')
const EARLIER = new Date('2026-12-01T08:00:00.000Z')
const NO_KEYS: SignatureJudgement = { kind: 'pass', signedBy: null }
const SIGNED: SignatureJudgement = { kind: 'pass', signedBy: { name: 'release-key', fingerprint: 'sha256:ff' } }
const UNSIGNED: SignatureJudgement = {
  kind: 'unsigned',
  reason: 'no valid signature by "release-key" (sha256:ff…): 1 signature found (tag scheme): by an unknown key sha256:01'
}

const clean: VerificationState = {
  digest: PINNED,
  tag: '1.0',
  status: 'released',
  upstreamDigest: null,
  upstreamSeenAt: null,
  missingCount: 0,
  unavailableSince: null,
  unavailableReason: null,
  signedBy: null,
  signedByFingerprint: null
}
const drifted: VerificationState = { ...clean, upstreamDigest: OTHER, upstreamSeenAt: EARLIER }
const gone: VerificationState = { ...clean, missingCount: 2, unavailableSince: EARLIER, unavailableReason: 'gone' }

t.test('nothing changed: only the time, no event', async (t) => {
  const d = decideVerification(clean, { tagDigest: PINNED, digestPresent: true }, NO_KEYS, NOW)
  t.same(d.changes, { verificationError: null, verifiedAt: NOW })
  t.same(d.events, [])
  t.same(d.outcomes, ['verified'])
  t.equal(d.next, 'interval')
  t.equal(d.changesResolutions, false)
})

t.test('drift: the tag points elsewhere → drifted, seen now, event', async (t) => {
  const d = decideVerification(clean, { tagDigest: OTHER, digestPresent: true }, NO_KEYS, NOW)
  t.match(d.changes, { upstreamDigest: OTHER, upstreamSeenAt: NOW, verifiedAt: NOW })
  t.same(d.events, [
    { action: 'version.drifted', details: { digest: PINNED, tag: '1.0', upstreamDigest: OTHER, firstSeenAt: NOW.toISOString() } }
  ])
  t.same(d.outcomes, ['drifted'])
  t.equal(d.changesResolutions, true)
})

t.test('drift: the tag is gone (null) → drifted with upstream null', async (t) => {
  const d = decideVerification(clean, { tagDigest: null, digestPresent: true }, NO_KEYS, NOW)
  t.match(d.changes, { upstreamDigest: null, upstreamSeenAt: NOW })
  t.match(d.events, [{ action: 'version.drifted', details: { upstreamDigest: null } }])
})

t.test('still drifted to the same digest: first seen kept, no event', async (t) => {
  const d = decideVerification(drifted, { tagDigest: OTHER, digestPresent: true }, NO_KEYS, NOW)
  t.notOk('upstreamSeenAt' in d.changes)
  t.notOk('upstreamDigest' in d.changes)
  t.same(d.events, [])
  t.same(d.outcomes, ['verified'])
})

t.test('drifted to yet another digest: upstream and first-seen move, event again', async (t) => {
  const d = decideVerification(drifted, { tagDigest: THIRD, digestPresent: true }, NO_KEYS, NOW)
  t.match(d.changes, { upstreamDigest: THIRD, upstreamSeenAt: NOW })
  t.match(d.events, [{ action: 'version.drifted', details: { upstreamDigest: THIRD } }])
})

t.test('drifted while the tag was gone, then the tag reappears elsewhere: a change of upstream', async (t) => {
  const d = decideVerification({ ...drifted, upstreamDigest: null }, { tagDigest: OTHER, digestPresent: true }, NO_KEYS, NOW)
  t.match(d.events, [{ action: 'version.drifted', details: { upstreamDigest: OTHER } }])
})

t.test('the tag is back on the pinned digest: drift cleared, event names what it was', async (t) => {
  const d = decideVerification(drifted, { tagDigest: PINNED, digestPresent: true }, NO_KEYS, NOW)
  t.match(d.changes, { upstreamDigest: null, upstreamSeenAt: null })
  t.same(d.events, [
    {
      action: 'version.drift_cleared',
      details: { digest: PINNED, tag: '1.0', previousUpstreamDigest: OTHER, driftedSince: EARLIER.toISOString() }
    }
  ])
  t.same(d.outcomes, ['drift_cleared'])
  t.equal(d.changesResolutions, true)
})

t.test('no Docker-Content-Digest on the tag: no drift decision either way', async (t) => {
  for (const state of [clean, drifted]) {
    const d = decideVerification(state, { tagDigest: undefined, digestPresent: true }, NO_KEYS, NOW)
    t.notOk('upstreamDigest' in d.changes)
    t.notOk('upstreamSeenAt' in d.changes)
    t.same(d.events, [])
  }
})

t.test('first 404 of the pinned digest: counted, not unavailable, confirmed soon', async (t) => {
  const d = decideVerification(clean, { tagDigest: PINNED, digestPresent: false }, NO_KEYS, NOW)
  t.same(d.changes, { verificationError: null, missingCount: 1 })
  t.same(d.events, [])
  t.same(d.outcomes, ['digest_missing'])
  t.equal(d.next, 'confirm')
  t.notOk('verifiedAt' in d.changes, 'a missing digest is not a successful verification')
})

t.test('second 404 in a row: unavailable, cause digest_missing, reason names the digest', async (t) => {
  const d = decideVerification({ ...clean, missingCount: 1 }, { tagDigest: null, digestPresent: false }, NO_KEYS, NOW)
  t.match(d.changes, { missingCount: 2, unavailableSince: NOW, unavailableReason: new RegExp(`${PINNED}.*2 verifications in a row`) })
  t.match(d.events, [
    { action: 'version.drifted' },
    { action: 'version.unavailable', details: { status: 'released', cause: 'digest_missing', reason: new RegExp(PINNED) } }
  ])
  t.same(d.outcomes, ['drifted', 'digest_missing', 'unavailable'])
  t.equal(d.next, 'interval')
  t.equal(d.changesResolutions, true)
})

t.test('still gone while unavailable: counted on, no new event, regular interval', async (t) => {
  const d = decideVerification(gone, { tagDigest: undefined, digestPresent: false }, NO_KEYS, NOW)
  t.same(d.changes, { verificationError: null, missingCount: 3 })
  t.same(d.events, [])
  t.equal(d.next, 'interval')
})

t.test('one 404 and then the digest again: count back to zero, never unavailable', async (t) => {
  const d = decideVerification({ ...clean, missingCount: 1 }, { tagDigest: PINNED, digestPresent: true }, NO_KEYS, NOW)
  t.same(d.changes, { verificationError: null, verifiedAt: NOW, missingCount: 0 })
  t.same(d.events, [])
  t.same(d.outcomes, ['verified'])
})

t.test('the digest is back after it was unavailable: available, event with since when', async (t) => {
  const d = decideVerification(gone, { tagDigest: PINNED, digestPresent: true }, NO_KEYS, NOW)
  t.match(d.changes, { missingCount: 0, unavailableSince: null, unavailableReason: null, verifiedAt: NOW })
  t.same(d.events, [{ action: 'version.available', details: { status: 'released', unavailableSince: EARLIER.toISOString() } }])
  t.same(d.outcomes, ['available'])
})

t.test('signatures required and valid: signer recorded, nothing else', async (t) => {
  const d = decideVerification(clean, { tagDigest: PINNED, digestPresent: true }, SIGNED, NOW)
  t.same(d.changes, { verificationError: null, verifiedAt: NOW, signedBy: 'release-key', signedByFingerprint: 'sha256:ff' })
  t.same(d.events, [])
})

t.test('signatures required, none valid: unavailable, cause signature_invalid, reason names keys and findings', async (t) => {
  const state = { ...clean, signedBy: 'release-key', signedByFingerprint: 'sha256:ff' }
  const d = decideVerification(state, { tagDigest: PINNED, digestPresent: true }, UNSIGNED, NOW)
  t.match(d.changes, { signedBy: null, signedByFingerprint: null, unavailableSince: NOW, unavailableReason: UNSIGNED.reason })
  t.match(d.events, [{ action: 'version.unavailable', details: { cause: 'signature_invalid', reason: UNSIGNED.reason } }])
  t.same(d.outcomes, ['signature_invalid', 'unavailable'])
})

t.test('signature valid again after signature_invalid: available', async (t) => {
  const state = { ...clean, unavailableSince: EARLIER, unavailableReason: 'no valid signature by release-key: …' }
  const d = decideVerification(state, { tagDigest: PINNED, digestPresent: true }, SIGNED, NOW)
  t.match(d.events, [{ action: 'version.available' }])
  t.match(d.changes, { unavailableSince: null, signedBy: 'release-key' })
})

t.test('the digest comes back unsigned after it was gone: stays unavailable, the reason says why now, no event', async (t) => {
  const d = decideVerification(gone, { tagDigest: PINNED, digestPresent: true }, UNSIGNED, NOW)
  t.same(d.events, [])
  t.match(d.changes, { missingCount: 0, unavailableReason: /no valid signature/ })
  t.notOk('unavailableSince' in d.changes)
})

t.test('keys removed from the image: the signer is forgotten', async (t) => {
  const state = { ...clean, signedBy: 'release-key', signedByFingerprint: 'sha256:ff' }
  const d = decideVerification(state, { tagDigest: PINNED, digestPresent: true }, NO_KEYS, NOW)
  t.match(d.changes, { signedBy: null, signedByFingerprint: null })
  t.same(d.events, [])
})

t.test('schedule: jitter within a quarter either way; confirm delay after a first 404, never beyond the interval', async (t) => {
  t.equal(
    jitteredIntervalMs(4000, () => 0),
    3000
  )
  t.equal(
    jitteredIntervalMs(4000, () => 1),
    5000
  )
  t.equal(
    jitteredIntervalMs(4000, () => 0.5),
    4000
  )
  const options = { intervalMs: 4000, confirmDelayMs: 1000 }
  t.equal(
    nextVerificationDelayMs('confirm', options, () => 0.5),
    1000
  )
  t.equal(
    nextVerificationDelayMs('interval', options, () => 0.5),
    4000
  )
  t.equal(
    nextVerificationDelayMs('confirm', { intervalMs: 400, confirmDelayMs: 60_000 }, () => 0),
    300
  )
})
