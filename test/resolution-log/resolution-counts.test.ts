import t from 'tap'
import { build } from '../helpers/app.js'
import { resolutionCoalescing } from '../../src/resolution-log/resolution-coalescing.js'
import type { ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { announceChange, insertImage, insertVersion } from '../resolve/fixtures.js'

const record = (fields: Partial<ResolutionRecord> = {}): ResolutionRecord => {
  const at = new Date('2026-11-26T18:00:00.000Z')
  return {
    imageId: '0a4c5b1e-0000-4000-8000-000000000001',
    spec: '1.latest',
    version: '1.1.0',
    status: 'released',
    digest: 'sha256:aa',
    project: 'payments',
    pipeline: 'pay-main',
    build: 'b1',
    tokenId: null,
    count: 1,
    firstResolvedAt: at,
    resolvedAt: at,
    ...fields
  }
}

t.test('the coalescing key: only the time may differ', async (t) => {
  const { key } = resolutionCoalescing
  t.equal(key(record()), key(record({ resolvedAt: new Date(), firstResolvedAt: new Date() })), 'same resolution, later')
  const others = [
    record(),
    record({ build: 'b2' }),
    record({ pipeline: 'other' }),
    record({ spec: '1.1.latest' }),
    record({ version: '1.2.0' }),
    record({ status: 'testing' }),
    record({ digest: 'sha256:bb' }),
    record({ project: 'search' }),
    record({ tokenId: '0a4c5b1e-0000-4000-8000-000000000002' }),
    record({ imageId: '0a4c5b1e-0000-4000-8000-000000000003' }),
    // Free text meets free text: where pipeline ends and build starts is part of the key.
    record({ pipeline: 'ab', build: 'c' }),
    record({ pipeline: 'a', build: 'bc' }),
    record({ pipeline: 'abc', build: null }),
    record({ pipeline: null, build: 'abc' }),
    record({ pipeline: null, build: null }),
    record({ pipeline: 'a b', build: 'c' }),
    record({ pipeline: 'a', build: 'b c' })
  ]
  t.equal(new Set(others.map(key)).size, others.length, 'every other difference keeps its own row')
})

t.test('merging counts, and widens the times either way', async (t) => {
  const into = record({ count: 2, firstResolvedAt: new Date(1000), resolvedAt: new Date(2000) })
  resolutionCoalescing.merge(into, record({ count: 3, firstResolvedAt: new Date(500), resolvedAt: new Date(1500) }))
  t.same([into.count, into.firstResolvedAt.getTime(), into.resolvedAt.getTime()], [5, 500, 2000])
  resolutionCoalescing.merge(into, record({ firstResolvedAt: new Date(3000), resolvedAt: new Date(3000) }))
  t.same([into.count, into.firstResolvedAt.getTime(), into.resolvedAt.getTime()], [6, 500, 3000])
})

t.test('the jobs of one build resolving the same image are one log entry with a count', async (t) => {
  const { app, call, token } = await build(t)
  const tools = await insertImage(app.db, 'tools', { visibilityPublic: true })
  await insertVersion(app.db, tools, '1.0.0', 'released')
  const engine = await token({ name: 'engine', scopes: ['resolve'] })
  const resolve = (buildId: string, spec = '1.latest') =>
    call({
      method: 'GET',
      url: `/v1/images/tools/resolve?version=${spec}&project=payments&pipeline=pay-main&build=${buildId}`,
      token: engine
    })
  const list = async () =>
    (await call({ method: 'GET', url: '/v1/images/tools/resolutions' })).json().items as Array<Record<string, unknown>>

  const before = Date.now()
  for (let job = 0; job < 5; job++) t.equal((await resolve('b1')).statusCode, 200)
  t.equal((await resolve('b2')).statusCode, 200)
  t.equal((await resolve('b1', '1.0.0')).statusCode, 200)
  // A release between two jobs of the same build: the later ones resolve another version.
  await insertVersion(app.db, tools, '1.1.0', 'released')
  await announceChange(app, tools)
  t.equal((await resolve('b1')).statusCode, 200)
  await app.resolutionLog.flush()

  const items = await list()
  t.same(
    items.map((i) => [i.build, i.spec, i.version, i.count]).sort(),
    [
      ['b1', '1.0.0', '1.0.0', 1],
      ['b1', '1.latest', '1.0.0', 5],
      ['b1', '1.latest', '1.1.0', 1],
      ['b2', '1.latest', '1.0.0', 1]
    ].sort()
  )
  const folded = items.find((i) => i.count === 5) as { firstResolvedAt: string; resolvedAt: string }
  t.ok(
    Date.parse(folded.firstResolvedAt) >= before && Date.parse(folded.firstResolvedAt) < Date.parse(folded.resolvedAt),
    'first and last of the five'
  )

  // The next job after the batch was written starts a new entry rather than changing a written one.
  t.equal((await resolve('b2')).statusCode, 200)
  await app.resolutionLog.flush()
  t.equal((await list()).filter((i) => i.build === 'b2').length, 2)

  const usage = await call({ method: 'GET', url: '/v1/images/tools/versions/1.0.0/usage' })
  t.same(
    usage.json().projects.map((p: { project: string; resolutions: number }) => [p.project, p.resolutions]),
    [['payments', 7]],
    'usage counts resolutions (5 + 1 + 1), not entries'
  )
})
