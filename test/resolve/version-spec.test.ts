import t from 'tap'
import { formatVersion, newestFirst, parseVersionSpec } from '../../src/resolve/version-spec.js'

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
})

t.test('rejects everything else', async (t) => {
  for (const bad of ['', '1', '1.2', '*', 'latest.1', '1.latest.2', '1.2.3.4', 'v1.latest', '01.latest', '1.02.3', '1.-1.0', '1.2.x', '1.2.3-rc1', 'LATEST', '1.Latest', ' 1.latest', '1..latest', '1000000000.0.0', '1.2.3 '])
    t.equal(parseVersionSpec(bad), undefined, JSON.stringify(bad))
})

t.test('orders numerically, never as text', async (t) => {
  const sorted = [
    { major: 1, minor: 9, patch: 0 },
    { major: 1, minor: 10, patch: 0 },
    { major: 2, minor: 0, patch: 0 },
    { major: 1, minor: 10, patch: 2 }
  ].sort(newestFirst)
  t.same(sorted.map(formatVersion), ['2.0.0', '1.10.2', '1.10.0', '1.9.0'])
})
