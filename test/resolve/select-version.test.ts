import t from 'tap'
import { toSnapshot, type SnapshotStatus, type SnapshotVersion } from '../../src/resolve/image-snapshot.js'
import { audienceOf, parseVersionSpec, selectVersion, skipReason, type SkipReason } from '../../src/resolve/select-version.js'
import { bucketOf, reachOf } from '../../src/rollouts/rollout-reach.js'
import type { RolloutPlan } from '../../src/versions/rollout-plan.js'
import { compareVersions, formatVersion, type VersionNumber } from '../../src/versions/version-number.js'
import type { ResolvableVersionRow } from '../../src/resolve/snapshot.repository.js'

const newestFirst = (a: VersionNumber, b: VersionNumber) => compareVersions(b, a)
const asker = (debug: boolean) => ({ project: debug ? 'debug' : 'payments', debug, imageId: 'image-1' })

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
    unavailable: null,
    rollout: null
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
  const s = selectVersion(versions, parsed, asker(debug))
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
  const s = selectVersion(only, { kind: 'exact', major: 1, minor: 0, patch: 0 }, asker(false))
  t.equal(s.kind, 'withdrawn')
  t.equal(s.kind === 'withdrawn' ? s.serving : 'x', undefined)
  t.same(selectVersion(only, { kind: 'latest', major: 1 }, asker(false)), { kind: 'no-match', newest: only[0] })
  t.same(selectVersion([], { kind: 'latest' }, asker(false)), { kind: 'no-match', newest: undefined })
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
      unavailableReason: null,
      rolloutPlan: null,
      rolloutStage: null,
      rolloutState: null
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
    const s = selectVersion(list, parsed, asker(debug))
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

  const selection = selectVersion(list, { kind: 'exact', major: 1, minor: 10, patch: 2 }, asker(false))
  t.equal(selection.kind === 'unavailable' && selection.version.unavailable?.reason, 'the registry answered 404 for its digest twice')
})

t.test(
  "the debug project's testing version: skipped while unavailable, 410 when asked for exactly; nobody else learns of it",
  async (t) => {
    const list = [v('1.0.0', 'released'), unavailable(v('1.1.0', 'testing'))].sort(newestFirst)
    const debug = (spec: string) => selectVersion(list, parseVersionSpec(spec) ?? { kind: 'latest' }, asker(true))
    const consumer = (spec: string) => selectVersion(list, parseVersionSpec(spec) ?? { kind: 'latest' }, asker(false))
    t.match(debug('1.latest'), { kind: 'resolved', version: { major: 1, minor: 0, patch: 0 } })
    t.match(debug('latest'), { kind: 'resolved', version: { major: 1, minor: 0, patch: 0 } })
    t.match(debug('1.1.0'), { kind: 'unavailable', version: { minor: 1, status: 'testing' }, serving: { minor: 0 } })
    t.match(consumer('1.1.0'), { kind: 'no-match', newest: { minor: 0 } }, 'a testing version is not for consumers, available or not')
  }
)

t.test('withdrawn wins over unavailable: the version is gone for good, not for a while', async (t) => {
  const list = [v('1.0.0', 'released'), unavailable(v('1.1.0', 'withdrawn'))].sort(newestFirst)
  t.match(selectVersion(list, { kind: 'exact', major: 1, minor: 1, patch: 0 }, asker(false)), {
    kind: 'withdrawn',
    serving: { minor: 0 }
  })
})

t.test('a drifted version is still a candidate: its pinned digest is what was checked', async (t) => {
  const drifted = { ...v('1.0.0', 'released'), drift: { upstreamDigest: 'sha256:other', firstSeenAt: '2026-11-30T06:12:40.000Z' } }
  t.same(selectVersion([drifted], { kind: 'latest', major: 1 }, asker(false)), { kind: 'resolved', version: drifted })
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
    unavailableReason: null,
    rolloutPlan: null,
    rolloutStage: null,
    rolloutState: null
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

const rolling = (
  version: SnapshotVersion,
  plan: RolloutPlan,
  stage: number,
  state: 'rolling_out' | 'paused' = 'rolling_out'
): SnapshotVersion => ({
  ...version,
  rollout: Object.freeze({ state, stage, stages: plan.stages.length, reach: reachOf(plan, stage) })
})

/** Projects whose bucket for the image is below (and at or above) `percent`% of them. */
function projectsAround(imageId: string, percent: number): { inside: string; outside: string } {
  let inside: string | undefined
  let outside: string | undefined
  for (let i = 0; !(inside && outside); i++) {
    const project = `proj-${i}`
    if (bucketOf(imageId, project) < percent * 100) inside ??= project
    else outside ??= project
  }
  return { inside, outside }
}

t.test('a version rolling out: floating specs for the projects reached and the debug project; an exact pin for everyone', async (t) => {
  const plan: RolloutPlan = { stages: [{ projects: ['early'] }, { percent: 10 }, { percent: 50 }], advanceAfter: '24h' }
  const { inside, outside } = projectsAround('image-1', 10)
  const at = (stage: number, state: 'rolling_out' | 'paused' = 'rolling_out') =>
    [v('1.0.0', 'released'), rolling(v('1.1.0', 'released'), plan, stage, state), v('0.9.0', 'released')].sort(newestFirst)
  const choose = (list: SnapshotVersion[], spec: string, project: string, debug = false) => {
    const s = selectVersion(list, parseVersionSpec(spec) ?? { kind: 'latest' }, { project, debug, imageId: 'image-1' })
    if (s.kind === 'resolved') return formatVersion(s.version)
    return s.kind === 'no-match' ? `no match, newest ${s.newest ? formatVersion(s.newest) : 'none'}` : s.kind
  }
  const first = at(0)
  for (const spec of ['1.latest', '1.1.latest', 'latest', '1.*']) t.equal(choose(first, spec, 'early'), '1.1.0', `listed: ${spec}`)
  t.equal(choose(first, '1.latest', 'payments'), '1.0.0', 'not reached: the previous release')
  t.equal(choose(first, 'latest', 'payments'), '1.0.0')
  t.equal(choose(first, '1.1.latest', 'payments'), 'no match, newest 1.0.0', 'a line only the new version serves gives nothing yet')
  t.equal(choose(first, '1.1.0', 'payments'), '1.1.0', 'an exact pin is an opt-in')
  t.equal(choose(first, '1.latest', 'debug', true), '1.1.0', 'the debug project is always reached')
  t.equal(choose(first, '1.latest', inside), '1.0.0', 'percent stages not reached yet')

  const second = at(1)
  t.equal(choose(second, '1.latest', inside), '1.1.0', `${inside} is in the first 10%`)
  t.equal(choose(second, '1.latest', outside), '1.0.0', `${outside} is not`)
  t.equal(choose(second, '1.latest', 'early'), '1.1.0', 'earlier stages stay reached')
  const paused = at(1, 'paused')
  t.equal(choose(paused, '1.latest', inside), '1.1.0', 'a paused rollout keeps its reach')
  t.equal(choose(paused, '1.latest', outside), '1.0.0', 'and reaches nobody more')

  const rolled = second.find((x) => x.minor === 1)!
  t.equal(skipReason(rolled, { project: outside, debug: false, imageId: 'image-1' }, false), 'rollout_not_reached')
  t.equal(skipReason(rolled, { project: outside, debug: false, imageId: 'image-1' }, true), null, 'exact')
  t.equal(
    skipReason(rolled, { project: outside, debug: false, imageId: 'image-2' }, false) === null,
    bucketOf('image-2', outside) < 1000,
    'the bucket is per image'
  )
})

t.test('a withdrawn or unavailable version rolling out: exact requests keep their 410s', async (t) => {
  const plan: RolloutPlan = { stages: [{ projects: ['early'] }], advanceAfter: null }
  const list = [v('1.0.0', 'released'), rolling(unavailable(v('1.1.0', 'released')), plan, 0)].sort(newestFirst)
  const who = { project: 'payments', debug: false, imageId: 'image-1' }
  t.match(selectVersion(list, { kind: 'exact', major: 1, minor: 1, patch: 0 }, who), { kind: 'unavailable', serving: { minor: 0 } })
  t.match(selectVersion(list, { kind: 'latest', major: 1 }, { ...who, project: 'early' }), { kind: 'resolved', version: { minor: 0 } })
})

t.test('awaiting approval: offered to the debug project only, as a testing version is', async (t) => {
  const list = [v('1.0.0', 'released'), v('1.1.0', 'awaiting_approval')].sort(newestFirst)
  t.match(selectVersion(list, { kind: 'latest', major: 1 }, asker(false)), { kind: 'resolved', version: { minor: 0 } })
  t.match(selectVersion(list, { kind: 'exact', major: 1, minor: 1, patch: 0 }, asker(false)), {
    kind: 'no-match',
    newest: { minor: 0 }
  })
  t.match(selectVersion(list, { kind: 'latest', major: 1 }, asker(true)), {
    kind: 'resolved',
    version: { minor: 1, status: 'awaiting_approval' }
  })
  t.match(selectVersion(list, { kind: 'exact', major: 1, minor: 1, patch: 0 }, asker(true)), { kind: 'resolved', version: { minor: 1 } })
  t.equal(skipReason(list[0]!, asker(false), false), 'awaiting_approval')
  t.equal(skipReason(list[0]!, asker(true), false), null)
})

t.test('every skip reason, and which one wins', async (t) => {
  const plan: RolloutPlan = { stages: [{ projects: ['early'] }], advanceAfter: null }
  const cases: Array<[string, SnapshotVersion, boolean, SkipReason | null]> = [
    ['released', v('1.0.0', 'released'), false, null],
    ['no digest', v('1.0.0', 'released', null), false, 'no_digest'],
    ['withdrawn', v('1.0.0', 'withdrawn'), false, 'withdrawn'],
    ['withdrawn and unavailable', unavailable(v('1.0.0', 'withdrawn')), false, 'withdrawn'],
    ['unavailable', unavailable(v('1.0.0', 'released')), false, 'unavailable'],
    ['testing', v('1.0.0', 'testing'), false, 'not_released'],
    ['testing, debug', v('1.0.0', 'testing'), true, null],
    ['testing and unavailable: not told to a consumer', unavailable(v('1.0.0', 'testing')), false, 'not_released'],
    ['testing and unavailable, debug', unavailable(v('1.0.0', 'testing')), true, 'unavailable'],
    ['awaiting approval', v('1.0.0', 'awaiting_approval'), false, 'awaiting_approval'],
    ['rolling out, not reached', rolling(v('1.0.0', 'released'), plan, 0), false, 'rollout_not_reached'],
    ['rolling out, debug', rolling(v('1.0.0', 'released'), plan, 0), true, null],
    ['rolling out and unavailable', rolling(unavailable(v('1.0.0', 'released')), plan, 0), false, 'unavailable']
  ]
  for (const [name, version, debug, reason] of cases)
    t.equal(skipReason(version, { ...asker(debug), project: debug ? 'debug' : 'late' }, false), reason, name)
})

t.test('a snapshot keeps the active rollouts of its versions, their reach computed once and frozen', async (t) => {
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
    unavailableReason: null,
    rolloutPlan: null,
    rolloutStage: null,
    rolloutState: null
  }
  const plan: RolloutPlan = { stages: [{ projects: ['a', 'b'] }, { percent: 10 }, { projects: ['c'] }], advanceAfter: '24h' }
  const rows: ResolvableVersionRow[] = [
    { ...base, major: 1, minor: 0, patch: 0, tag: '1.0.0', digest: 'sha256:a' },
    { ...base, major: 1, minor: 1, patch: 0, tag: '1.1.0', digest: 'sha256:b', rolloutPlan: plan, rolloutStage: 1, rolloutState: 'paused' },
    {
      ...base,
      major: 1,
      minor: 2,
      patch: 0,
      tag: '1.2.0',
      digest: 'sha256:c',
      rolloutPlan: plan,
      rolloutStage: 3,
      rolloutState: 'completed'
    }
  ]
  const snapshot = toSnapshot(rows)
  const byTag = new Map(snapshot?.versions.map((x) => [x.tag, x]))
  t.equal(byTag.get('1.0.0')?.rollout, null)
  t.equal(byTag.get('1.2.0')?.rollout, null, 'a finished rollout limits nothing')
  const rollout = byTag.get('1.1.0')?.rollout
  t.match(rollout, { state: 'paused', stage: 1, stages: 3, reach: { percent: 10 } })
  t.same([...(rollout?.reach.projects ?? [])], ['a', 'b'])
  t.ok(Object.isFrozen(rollout) && Object.isFrozen(rollout?.reach), 'shared by every answer of the snapshot')
  t.same(snapshot?.rollingOut.map(formatVersion), ['1.1.0'])
  t.same(toSnapshot(rows.slice(0, 1))?.rollingOut, [], 'an image without a rollout')
})
