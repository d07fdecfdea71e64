import t from 'tap'
import type { SnapshotStatus, SnapshotVersion } from '../../src/resolve/image-snapshot.js'
import { selectVersion } from '../../src/resolve/select-version.js'
import { formatVersion, newestFirst, parseVersionSpec } from '../../src/resolve/version-spec.js'

const v = (text: string, status: SnapshotStatus, digest: string | null = `sha256:${text}`): SnapshotVersion => {
  const [major, minor, patch] = text.split('.').map(Number) as [number, number, number]
  return { major, minor, patch, status, registry: 'r', repository: 'x', tag: text, digest, platforms: [], credential: null, withdrawReason: status === 'withdrawn' ? 'bad' : null }
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
