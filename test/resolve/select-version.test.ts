import t from 'tap'
import { toSnapshot, type SnapshotStatus, type SnapshotVersion } from '../../src/resolve/image-snapshot.js'
import { audienceOf, parseVersionSpec, selectVersion } from '../../src/resolve/select-version.js'
import { compareVersions, formatVersion, type VersionNumber } from '../../src/versions/version-number.js'
import type { ResolvableVersionRow } from '../../src/resolve/snapshot.repository.js'

const newestFirst = (a: VersionNumber, b: VersionNumber) => compareVersions(b, a)

t.test('accepts every form of the grammar', async (t) => {
  t.same(parseVersionSpec('latest'), { kind: 'latest' })
  t.same(parseVersionSpec('1.latest'), { kind: 'latest', major: 1 })
  t.same(parseVersionSpec('1.*'), { kind: 'latest', major: 1 })
  t.same(parseVersionSpec('0.latest'), { kind: 'latest', major: 0 })
  t.same(parseVersionSpec('1.2.latest'), { kind: 'latest', major: 1, minor: 2 })
  t.same(parseVersionSpec('1.2.*'), { kind: 'latest', major: 1, minor: 2 })
  t.same(parseVersionSpec('1.10.3'), { kind: 'exact', major: 1, minor: 10, patch: 3 })
  t.same(parseVersionSpec('0.0.0'), { kind: 'exact', major: 0, minor: 0, patch: 0 })
  t.same(parseVersionSpec('999999999.0.1'), { kind: 'exact', major: 999999999, minor: 0, patch: 1 })
  t.same(parseVersionSpec('999999999.999999999.latest'), { kind: 'latest', major: 999999999, minor: 999999999 })
})

t.test('rejects everything else', async (t) => {
  for (const bad of [
    '',
    '1',
    '1.2',
    '*',
    '.latest',
    '.*',
    'latest.1',
    '1.latest.2',
    '1.2.3.4',
    '1.2.3.latest',
    'v1.latest',
    '01.latest',
    '1.02.latest',
    '1.02.3',
    '1.-1.0',
    '1.2.x',
    '1.2.3-rc1',
    'LATEST',
    '1.Latest',
    ' 1.latest',
    '1..latest',
    '1000000000.latest',
    '1000000000.0.0',
    '1.2.3 ',
    '1.latest ',
    '1.2.0.*'
  ])
    t.equal(parseVersionSpec(bad), undefined, JSON.stringify(bad))
})

t.test('who is asking: nobody outside visibility, the debug project apart', async (t) => {
  const image = { ownerProject: 'owner', debugProject: 'debug', visibilityPublic: false, visibilityProjects: ['payments'] }
  t.equal(audienceOf(image, 'stranger'), 'none')
  t.equal(audienceOf(image, 'payments'), 'consumer')
  t.equal(audienceOf(image, 'owner'), 'consumer')
  t.equal(audienceOf(image, 'debug'), 'debug')
  t.equal(audienceOf({ ...image, visibilityPublic: true }, 'stranger'), 'consumer')
})

const v = (text: string, status: SnapshotStatus, digest: string | null = `sha256:${text}`): SnapshotVersion => {
  const [major, minor, patch] = text.split('.').map(Number) as [number, number, number]
  return {
    major,
    minor,
    patch,
    status,
    registry: 'r',
    repository: 'x',
    tag: text,
    digest,
    platforms: [],
    credential: null,
    withdrawReason: status === 'withdrawn' ? 'bad' : null,
    drift: null,
    unavailable: null
  }
}

const versions = [
  v('1.2.0', 'released'),
  v('1.9.0', 'released'),
  v('1.10.0', 'released'),
  v('1.10.1', 'withdrawn'),
  v('2.0.0', 'released'),
  v('2.1.0', 'testing'),
  v('3.0.0', 'released', null)
].sort(newestFirst)

const pick = (spec: string, debug = false) => {
  const parsed = parseVersionSpec(spec)
  if (!parsed) throw new Error(spec)
  const s = selectVersion(versions, parsed, debug)
  if (s.kind === 'resolved') return formatVersion(s.version)
  if (s.kind === 'withdrawn') return `withdrawn, serving ${s.serving ? formatVersion(s.serving) : 'none'}`
  if (s.kind === 'unavailable') return `unavailable, serving ${s.serving ? formatVersion(s.serving) : 'none'}`
  return `no match, newest ${s.newest ? formatVersion(s.newest) : 'none'}`
}

t.test('latest specs pick the newest released version, numerically, within their line', async (t) => {
  t.equal(pick('1.latest'), '1.10.0', '1.10 > 1.9, and withdrawn 1.10.1 is skipped')
  t.equal(pick('1.9.latest'), '1.9.0')
  t.equal(pick('1.10.*'), '1.10.0')
  t.equal(pick('2.latest'), '2.0.0', 'testing 2.1.0 is not for other projects')
  t.equal(pick('latest'), '2.0.0', 'a version without a digest (3.0.0) is never handed out')
  t.equal(pick('4.latest'), 'no match, newest 2.0.0')
  t.equal(pick('1.3.latest'), 'no match, newest 2.0.0')
})

t.test('the debug project also sees the testing version', async (t) => {
  t.equal(pick('2.latest', true), '2.1.0')
  t.equal(pick('latest', true), '2.1.0')
  t.equal(pick('2.1.0', true), '2.1.0')
  t.equal(pick('2.1.0'), 'no match, newest 2.0.0')
})

t.test('exact versions', async (t) => {
  t.equal(pick('1.9.0'), '1.9.0')
  t.equal(pick('1.10.1'), 'withdrawn, serving 1.10.0')
  t.equal(pick('1.4.4'), 'no match, newest 2.0.0')
  t.equal(pick('3.0.0'), 'no match, newest 2.0.0')
})

t.test('a withdrawn version with nothing left in its major line', async (t) => {
  const only = [v('1.0.0', 'withdrawn'), v('2.0.0', 'released')].sort(newestFirst)
  const s = selectVersion(only, { kind: 'exact', major: 1, minor: 0, patch: 0 }, false)
  t.equal(s.kind, 'withdrawn')
  t.equal(s.kind === 'withdrawn' ? s.serving : 'x', undefined)
  t.same(selectVersion(only, { kind: 'latest', major: 1 }, false), { kind: 'no-match', newest: only[0] })
  t.same(selectVersion([], { kind: 'latest' }, false), { kind: 'no-match', newest: undefined })
})

t.test('a snapshot keeps its versions newest first, numerically, never as text', async (t) => {
  const image = { id: 'i', code: 'tools', ownerProject: 'o', debugProject: 'd', visibilityPublic: true, visibilityProjects: [] }
  const none = {
    imageCredentialId: null,
    imageCredentialProject: null,
    imageCredentialRegistries: null,
    versionCredentialId: null,
    versionCredentialProject: null,
    versionCredentialRegistries: null
  }
  const row = (text: string, status: ResolvableVersionRow['status']): ResolvableVersionRow => {
    const [major, minor, patch] = text.split('.').map(Number) as [number, number, number]
    return {
      ...image,
      ...none,
      major,
      minor,
      patch,
      status,
      registry: 'r',
      repository: 'x',
      tag: text,
      digest: `sha256:${text}`,
      platforms: [],
      withdrawReason: null,
      upstreamDigest: null,
      upstreamSeenAt: null,
      unavailableSince: null,
      unavailableReason: null
    }
  }
  const snapshot = toSnapshot([row('1.9.0', 'released'), row('1.10.0', 'released'), row('2.0.0', 'testing'), row('1.10.2', 'withdrawn')])
  t.same(snapshot?.versions.map(formatVersion), ['2.0.0', '1.10.2', '1.10.0', '1.9.0'])
  t.equal(toSnapshot([]), undefined, 'no image')
  t.same(toSnapshot([{ ...row('0.0.0', null), major: null, minor: null, patch: null }])?.versions, [], 'an image without versions')
})

const unavailable = (version: SnapshotVersion): SnapshotVersion => ({
  ...version,
  unavailable: { since: '2026-11-30T10:12:41.000Z', reason: 'the registry answered 404 for its digest twice' }
})

t.test('an unavailable version is never a candidate: every latest spec falls back, as after a withdrawal', async (t) => {
  const list = [
    v('1.9.0', 'released'),
    unavailable(v('1.10.0', 'released')),
    v('1.10.1', 'released'),
    unavailable(v('1.10.2', 'released')),
    unavailable(v('2.0.0', 'released')),
    v('2.1.0', 'testing'),
    unavailable(v('3.0.0', 'released'))
  ].sort(newestFirst)
  const choose = (spec: string, debug = false) => {
    const parsed = parseVersionSpec(spec)
    if (!parsed) throw new Error(spec)
    const s = selectVersion(list, parsed, debug)
    if (s.kind === 'resolved') return formatVersion(s.version)
    if (s.kind === 'no-match') return `no match, newest ${s.newest ? formatVersion(s.newest) : 'none'}`
    return `${s.kind} ${formatVersion(s.version)}, serving ${s.serving ? formatVersion(s.serving) : 'none'}`
  }
  t.equal(choose('1.latest'), '1.10.1', 'the unavailable 1.10.2 is skipped')
  t.equal(choose('1.10.latest'), '1.10.1')
  t.equal(choose('latest'), '1.10.1', 'unavailable 3.0.0 and 2.0.0 are skipped, testing 2.1.0 is not for consumers')
  t.equal(choose('2.latest'), 'no match, newest 1.10.1', 'a line whose only release is unavailable serves nothing')
  t.equal(choose('3.latest'), 'no match, newest 1.10.1')

  t.equal(choose('1.10.2'), 'unavailable 1.10.2, serving 1.10.1', 'exact: 410 naming what 1.latest gives now')
  t.equal(choose('1.10.0'), 'unavailable 1.10.0, serving 1.10.1')
  t.equal(choose('3.0.0'), 'unavailable 3.0.0, serving none', 'nothing else left in its major')
  t.equal(choose('2.0.0'), 'unavailable 2.0.0, serving none', 'the testing 2.1.0 serves only the debug project')
  t.equal(choose('2.0.0', true), 'unavailable 2.0.0, serving 2.1.0', 'for the debug project the testing version serves the line')
  t.equal(choose('1.9.0'), '1.9.0', 'an available version of the same line still resolves')

  const selection = selectVersion(list, { kind: 'exact', major: 1, minor: 10, patch: 2 }, false)
  t.equal(selection.kind === 'unavailable' && selection.version.unavailable?.reason, 'the registry answered 404 for its digest twice')
})

t.test(
  "the debug project's testing version: skipped while unavailable, 410 when asked for exactly; nobody else learns of it",
  async (t) => {
    const list = [v('1.0.0', 'released'), unavailable(v('1.1.0', 'testing'))].sort(newestFirst)
    const debug = (spec: string) => selectVersion(list, parseVersionSpec(spec) ?? { kind: 'latest' }, true)
    const consumer = (spec: string) => selectVersion(list, parseVersionSpec(spec) ?? { kind: 'latest' }, false)
    t.match(debug('1.latest'), { kind: 'resolved', version: { major: 1, minor: 0, patch: 0 } })
    t.match(debug('latest'), { kind: 'resolved', version: { major: 1, minor: 0, patch: 0 } })
    t.match(debug('1.1.0'), { kind: 'unavailable', version: { minor: 1, status: 'testing' }, serving: { minor: 0 } })
    t.match(consumer('1.1.0'), { kind: 'no-match', newest: { minor: 0 } }, 'a testing version is not for consumers, available or not')
  }
)

t.test('withdrawn wins over unavailable: the version is gone for good, not for a while', async (t) => {
  const list = [v('1.0.0', 'released'), unavailable(v('1.1.0', 'withdrawn'))].sort(newestFirst)
  t.match(selectVersion(list, { kind: 'exact', major: 1, minor: 1, patch: 0 }, false), {
    kind: 'withdrawn',
    serving: { minor: 0 }
  })
})

t.test('a drifted version is still a candidate: its pinned digest is what was checked', async (t) => {
  const drifted = { ...v('1.0.0', 'released'), drift: { upstreamDigest: 'sha256:other', firstSeenAt: '2026-11-30T06:12:40.000Z' } }
  t.same(selectVersion([drifted], { kind: 'latest', major: 1 }, false), { kind: 'resolved', version: drifted })
})

t.test('a snapshot carries what verification found: drift (also of a deleted tag) and unavailability', async (t) => {
  const base = {
    id: 'i',
    code: 'tools',
    ownerProject: 'o',
    debugProject: 'd',
    visibilityPublic: true,
    visibilityProjects: [],
    imageCredentialId: null,
    imageCredentialProject: null,
    imageCredentialRegistries: null,
    versionCredentialId: null,
    versionCredentialProject: null,
    versionCredentialRegistries: null,
    status: 'released' as const,
    registry: 'r',
    repository: 'x',
    platforms: [],
    withdrawReason: null,
    upstreamDigest: null,
    upstreamSeenAt: null,
    unavailableSince: null,
    unavailableReason: null
  }
  const seen = new Date('2026-11-30T06:12:40.000Z')
  const since = new Date('2026-11-30T10:12:41.000Z')
  const rows: ResolvableVersionRow[] = [
    { ...base, major: 1, minor: 0, patch: 0, tag: '1.0.0', digest: 'sha256:a' },
    { ...base, major: 1, minor: 1, patch: 0, tag: '1.1.0', digest: 'sha256:b', upstreamDigest: 'sha256:c', upstreamSeenAt: seen },
    { ...base, major: 1, minor: 2, patch: 0, tag: '1.2.0', digest: 'sha256:d', upstreamSeenAt: seen },
    { ...base, major: 1, minor: 3, patch: 0, tag: '1.3.0', digest: 'sha256:e', unavailableSince: since, unavailableReason: 'gone' },
    { ...base, major: 1, minor: 4, patch: 0, tag: '1.4.0', digest: 'sha256:f', unavailableSince: since }
  ]
  const versions = toSnapshot(rows)?.versions ?? []
  const byTag = new Map(versions.map((x) => [x.tag, x]))
  t.same(byTag.get('1.0.0')?.drift, null)
  t.same(byTag.get('1.0.0')?.unavailable, null)
  t.same(byTag.get('1.1.0')?.drift, { upstreamDigest: 'sha256:c', firstSeenAt: '2026-11-30T06:12:40.000Z' })
  t.same(
    byTag.get('1.2.0')?.drift,
    { upstreamDigest: null, firstSeenAt: '2026-11-30T06:12:40.000Z' },
    'the tag is gone: drift all the same'
  )
  t.same(byTag.get('1.3.0')?.unavailable, { since: '2026-11-30T10:12:41.000Z', reason: 'gone' })
  t.same(byTag.get('1.4.0')?.unavailable, { since: '2026-11-30T10:12:41.000Z', reason: 'no reason was recorded' })
  t.ok(Object.isFrozen(byTag.get('1.1.0')?.drift), 'shared by every answer of the snapshot, so nobody may change it')
})
