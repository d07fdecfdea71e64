import t from 'tap'
import { bump, describeLines, nextVersion } from '../../src/versions/version-bump.js'
import { compareVersions, formatVersion, parseVersion } from '../../src/versions/version-number.js'

const v = (text: string) => {
  const parsed = parseVersion(text)
  if (!parsed) throw new Error(`bad version in test: ${text}`)
  return parsed
}
const next = (heads: string[], request: Parameters<typeof nextVersion>[1]) => {
  const result = nextVersion(heads.map(v), request)
  return result.ok ? `${formatVersion(result.version)} ${result.releaseType}` : `${result.error} [${result.lines.join(',')}]`
}

t.test('the first version is 1.0.0 and records no release type', async (t) => {
  t.equal(next([], {}), '1.0.0 null')
  t.equal(next([], { releaseType: 'major' }), '1.0.0 null')
  t.equal(next([], { releaseType: 'patch' }), '1.0.0 null')
  t.equal(next([], { releaseType: 'minor', line: 1 }), 'LINE_NOT_FOUND []')
})

t.test('bumps the highest version', async (t) => {
  t.equal(next(['1.0.0'], { releaseType: 'major' }), '2.0.0 major')
  t.equal(next(['1.0.0'], { releaseType: 'minor' }), '1.1.0 minor')
  t.equal(next(['1.0.0'], { releaseType: 'patch' }), '1.0.1 patch')
  t.equal(next(['1.9.3'], { releaseType: 'minor' }), '1.10.0 minor')
  t.equal(next(['1.10.0', '2.0.4'], { releaseType: 'patch' }), '2.0.5 patch', 'the highest line, whatever the input order')
  t.equal(next(['3.0.0', '1.12.7', '2.9.9'], { releaseType: 'major' }), '4.0.0 major')
})

t.test('a release type is required after the first version', async (t) => {
  t.equal(next(['1.0.0', '2.1.0'], {}), 'RELEASE_TYPE_REQUIRED [2,1]')
})

t.test('line N bumps the highest version of that major line', async (t) => {
  t.equal(next(['1.4.2', '2.0.1'], { releaseType: 'patch', line: 1 }), '1.4.3 patch')
  t.equal(next(['1.4.2', '2.0.1'], { releaseType: 'minor', line: 1 }), '1.5.0 minor')
  t.equal(next(['1.4.2', '2.0.1'], { releaseType: 'patch', line: 2 }), '2.0.2 patch')
  t.equal(next(['1.4.2', '2.0.1'], { releaseType: 'major', line: 1 }), 'MAJOR_WITH_LINE [2,1]')
  t.equal(next(['1.4.2', '3.0.0'], { releaseType: 'patch', line: 2 }), 'LINE_NOT_FOUND [3,1]')
  t.equal(next(['1.4.2'], { line: 1 }), 'RELEASE_TYPE_REQUIRED [1]')
})

t.test('bump and ordering are numeric', async (t) => {
  t.same(bump(v('9.9.9'), 'patch'), v('9.9.10'))
  t.same(bump(v('9.9.9'), 'minor'), v('9.10.0'))
  t.same(bump(v('9.9.9'), 'major'), v('10.0.0'))
  t.ok(compareVersions(v('1.10.0'), v('1.9.0')) > 0, '1.10.0 > 1.9.0')
  t.ok(compareVersions(v('10.0.0'), v('9.99.99')) > 0)
  t.equal(compareVersions(v('2.3.4'), v('2.3.4')), 0)
  const sorted = ['1.9.0', '1.10.0', '1.2.0', '10.0.0', '2.0.0'].map(v).sort(compareVersions).map(formatVersion)
  t.same(sorted, ['1.2.0', '1.9.0', '1.10.0', '2.0.0', '10.0.0'])
})

t.test('parseVersion accepts only M.m.p', async (t) => {
  t.same(parseVersion('0.0.0'), { major: 0, minor: 0, patch: 0 })
  t.same(parseVersion('12.345.6789'), { major: 12, minor: 345, patch: 6789 })
  for (const bad of ['1', '1.2', '1.2.3.4', '01.2.3', '1.02.3', 'v1.2.3', '1.2.3-rc.1', '1.2.x', '', ' 1.2.3', '1234567890.0.0']) {
    t.equal(parseVersion(bad), undefined, bad)
  }
})

t.test('describeLines names every line with its highest version', async (t) => {
  t.equal(describeLines([v('2.0.1'), v('1.4.2')]), '1.x (highest 1.4.2), 2.x (highest 2.0.1)')
  t.equal(describeLines([]), 'none yet')
})
