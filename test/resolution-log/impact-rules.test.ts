import t from 'tap'
import { impactKind, specMoves, type ImpactVersion } from '../../src/resolution-log/impact-rules.js'
import type { VersionStatus } from '../../src/versions/versions.table.js'

const v = (text: string, status: VersionStatus = 'released', more: Partial<ImpactVersion> = {}): ImpactVersion => {
  const [major, minor, patch] = text.split('.').map(Number) as [number, number, number]
  return { major, minor, patch, status, digest: 'sha256:x', unavailable: false, ...more }
}
const moving = (target: string, versions: ImpactVersion[]) =>
  specMoves(v(target), versions)
    .filter((m) => m.moves)
    .map((m) => m.spec)

t.test('the newest version of every line moves all five specs', async (t) => {
  t.same(specMoves(v('1.5.0'), [v('1.4.2'), v('0.9.0'), v('1.5.0', 'testing')]), [
    { spec: '1.latest', moves: true, heldBy: null },
    { spec: '1.*', moves: true, heldBy: null },
    { spec: '1.5.latest', moves: true, heldBy: null },
    { spec: '1.5.*', moves: true, heldBy: null },
    { spec: 'latest', moves: true, heldBy: null }
  ])
})

t.test('a patch of an older line moves that line only; the newest newer version holds each other spec', async (t) => {
  const versions = [v('1.3.4'), v('1.4.0'), v('1.4.1'), v('2.0.0'), v('1.3.5', 'testing')]
  t.same(specMoves(v('1.3.5'), versions), [
    { spec: '1.latest', moves: false, heldBy: '1.4.1' },
    { spec: '1.*', moves: false, heldBy: '1.4.1' },
    { spec: '1.3.latest', moves: true, heldBy: null },
    { spec: '1.3.*', moves: true, heldBy: null },
    { spec: 'latest', moves: false, heldBy: '2.0.0' }
  ])
})

t.test('a patch of the newest minor of an older major moves its major lines, not latest', async (t) => {
  t.same(moving('1.4.2', [v('1.4.1'), v('2.0.0')]), ['1.latest', '1.*', '1.4.latest', '1.4.*'])
})

t.test('only versions a consumer can be given hold a spec: released, with a digest, available', async (t) => {
  t.same(moving('1.5.0', [v('1.6.0', 'withdrawn')]).length, 5, 'withdrawn')
  t.same(moving('1.5.0', [v('1.6.0', 'cancelled')]).length, 5, 'cancelled')
  t.same(moving('1.5.0', [v('1.6.0', 'released', { unavailable: true })]).length, 5, 'unavailable')
  t.same(moving('1.5.0', [v('1.6.0', 'released', { digest: null })]).length, 5, 'no digest')
  t.same(moving('1.5.0', [v('1.6.0', 'testing')]).length, 5, 'testing')
  t.same(moving('1.5.0', [v('1.6.0')]), ['1.5.latest', '1.5.*'], 'released')
})

t.test('older and equal versions never hold a spec; numbers compare as numbers', async (t) => {
  t.same(moving('1.10.0', [v('1.9.9'), v('1.10.0')]).length, 5)
  t.same(moving('1.9.0', [v('1.10.0')]), ['1.9.latest', '1.9.*'])
})

t.test('in progress versions are previewed on release; the others are looked up as resolved', async (t) => {
  for (const status of ['checking', 'check_failed', 'testing', 'awaiting_approval'] as const)
    t.equal(impactKind(status), 'on_release', status)
  for (const status of ['released', 'withdrawn', 'cancelled'] as const) t.equal(impactKind(status), 'in_use', status)
})
