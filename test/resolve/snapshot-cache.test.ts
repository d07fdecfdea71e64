import t from 'tap'
import type { ImageSnapshot } from '../../src/resolve/image-snapshot.js'
import { SnapshotCache } from '../../src/resolve/snapshot-cache.js'

const snapshot = (id: string, marker: number): ImageSnapshot => ({
  id,
  code: id,
  ownerProject: 'o',
  debugProject: 'd',
  visibilityPublic: true,
  visibilityProjects: [],
  credential: null,
  versions: [
    {
      major: marker,
      minor: 0,
      patch: 0,
      status: 'released',
      registry: 'r',
      repository: 'x',
      tag: 't',
      digest: 'sha256:x',
      platforms: [],
      credential: null,
      withdrawReason: null,
      drift: null,
      unavailable: null,
      rollout: null
    }
  ],
  rollingOut: []
})
const marker = (l: { snapshot: ImageSnapshot | undefined }) => l.snapshot?.versions[0]?.major
const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })

function fixture(options: { freshMs?: number; enabled?: boolean; maxEntries?: number } = {}) {
  let version = 1
  let loads = 0
  let mode: 'ok' | 'down' | 'hang' | 'broken' = 'ok'
  const cache = new SnapshotCache({
    enabled: options.enabled ?? true,
    freshMs: () => options.freshMs ?? 60_000,
    maxEntries: options.maxEntries ?? 100,
    refreshBudgetMs: 50,
    retryAfterMs: 200,
    load: async (code) => {
      loads++
      if (mode === 'down') throw unreachable()
      if (mode === 'broken') throw new Error('syntax error')
      if (mode === 'hang') return new Promise(() => {})
      return code === 'missing' ? undefined : snapshot(code, version)
    }
  })
  return {
    cache,
    get loads() {
      return loads
    },
    release: () => version++,
    set mode(m: typeof mode) {
      mode = m
    }
  }
}

t.test('hits within the TTL, reloads after it', async (t) => {
  const f = fixture({ freshMs: 30 })
  t.equal(marker(await f.cache.get('a')), 1)
  f.release()
  t.equal(marker(await f.cache.get('a')), 1)
  t.equal(f.loads, 1)
  await new Promise((r) => setTimeout(r, 40))
  t.same(await f.cache.get('a').then((l) => [marker(l), l.stale]), [2, false], 'the safety TTL picks up an unannounced change')
  t.equal(f.loads, 2)
})

t.test('invalidate and invalidateAll force a reload', async (t) => {
  const f = fixture()
  await f.cache.get('a')
  await f.cache.get('b')
  f.release()
  f.cache.invalidate('a')
  t.equal(marker(await f.cache.get('a')), 2)
  t.equal(marker(await f.cache.get('b')), 1, 'other images stay cached')
  f.release()
  f.cache.invalidateAll()
  t.same([marker(await f.cache.get('a')), marker(await f.cache.get('b'))], [3, 3])
})

t.test('a load that started before an invalidation is not kept', async (t) => {
  const f = fixture()
  const early = f.cache.get('a') // reads version 1 "before the commit"
  f.release()
  f.cache.invalidate('unknown-id') // the image was never cached: its id is unknown
  t.equal(marker(await early), 1)
  t.equal(marker(await f.cache.get('a')), 2, 'the next lookup reads again')
  t.equal(f.loads, 2)
})

t.test('concurrent misses share one load; unknown images are not cached', async (t) => {
  const f = fixture()
  const all = await Promise.all([f.cache.get('a'), f.cache.get('a'), f.cache.get('a')])
  t.same(all.map(marker), [1, 1, 1])
  t.equal(f.loads, 1)
  t.equal((await f.cache.get('missing')).snapshot, undefined)
  t.equal((await f.cache.get('missing')).snapshot, undefined)
  t.equal(f.loads, 3)
})

t.test('database unreachable: the last known snapshot, marked stale, without retrying at once', async (t) => {
  const f = fixture()
  await f.cache.get('a')
  f.cache.invalidate('a')
  f.mode = 'down'
  t.same(await f.cache.get('a').then((l) => [marker(l), l.stale]), [1, true])
  t.same(await f.cache.get('a').then((l) => [marker(l), l.stale]), [1, true])
  t.equal(f.loads, 2, 'the second lookup did not try the database again')
  await t.rejects(f.cache.get('b'), { code: 'ECONNREFUSED' }, 'nothing known: the error goes to the caller (503)')
  await new Promise((r) => setTimeout(r, 210))
  f.mode = 'ok'
  f.release()
  t.same(await f.cache.get('a').then((l) => [marker(l), l.stale]), [2, false], 'recovers by itself')
})

t.test('a database that does not answer: stale after the refresh budget', async (t) => {
  const f = fixture()
  await f.cache.get('a')
  f.cache.invalidate('a')
  f.mode = 'hang'
  const started = Date.now()
  const lookup = await f.cache.get('a')
  t.same([marker(lookup), lookup.stale], [1, true])
  t.ok(Date.now() - started < 200)
})

t.test('other errors are not hidden', async (t) => {
  const f = fixture()
  await f.cache.get('a')
  f.cache.invalidate('a')
  f.mode = 'broken'
  await t.rejects(f.cache.get('a'), { message: 'syntax error' })
})

t.test('bounded: the oldest entry goes first', async (t) => {
  const f = fixture({ maxEntries: 2 })
  await f.cache.get('a')
  await f.cache.get('b')
  await f.cache.get('c')
  t.equal(f.cache.size, 2)
  await f.cache.get('b')
  await f.cache.get('c')
  t.equal(f.loads, 3)
  await f.cache.get('a')
  t.equal(f.loads, 4)
})

t.test('disabled: every lookup loads', async (t) => {
  const f = fixture({ enabled: false })
  await f.cache.get('a')
  await f.cache.get('a')
  t.equal(f.loads, 2)
  t.equal(f.cache.size, 0)
})
