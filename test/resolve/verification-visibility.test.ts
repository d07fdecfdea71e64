// What verification found, as pipelines and publishers see it: the columns are written with SQL
// (the verification engine is tested on its own), the change is announced as every committed change
// is, and resolve (single and batch, cached and not) and the Version view must follow at once.
import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { parseExposition } from '../metrics/exposition.js'
import { announceChange, digestOf, insertImage, insertVersion } from './fixtures.js'

const METRICS_TOKEN = 'scrape-token-0123456789abcdefghijklmnopqrstuv'
// The verification worker must not rewrite what the test sets.
const ENV = { METRICS_TOKEN, VERIFY_ENABLED: 'false' }

const UPSTREAM = 'sha256:9c2e7a4b1d0f3e6a5c8b7d2e1f0a9c8b7e6d5a4f3c2b1e0d9a8f7c6b5e4d3a2f'
const DRIFT_SEEN = new Date('2026-11-30T06:12:40.000Z')
const UNAVAILABLE_SINCE = new Date('2026-11-30T10:12:41.000Z')
const REASON = 'the registry answered 404 for the pinned digest at two verifications in a row'

interface Answer {
  status: number
  body: Record<string, unknown>
}

t.test('drift and unavailability reach resolve, batch resolve, the 410 and the Version view', async (t) => {
  const cached = await build(t, { env: ENV })
  const uncached = await build(t, { env: { ...ENV, RESOLVE_CACHE: 'false' }, databaseUrl: cached.databaseUrl })
  const db = cached.app.db
  const tools = await insertImage(db, 'tools', { visibilityProjects: ['payments'] })
  await insertVersion(db, tools, '1.0.0', 'released')
  const v110 = await insertVersion(db, tools, '1.1.0', 'released')
  const v120 = await insertVersion(db, tools, '1.2.0', 'released')
  await insertVersion(db, tools, '2.0.0', 'released')
  const v210 = await insertVersion(db, tools, '2.1.0', 'testing')
  const engines = new Map<TestApp, string>()
  for (const replica of [cached, uncached])
    engines.set(replica, await replica.token({ name: 'engine', scopes: ['resolve'], projects: ['payments', 'debug-proj'] }))

  const resolve = async (replica: TestApp, spec: string, project = 'payments'): Promise<Answer> => {
    const res = await replica.call({
      method: 'GET',
      url: `/v1/images/tools/resolve?version=${spec}&project=${project}`,
      token: engines.get(replica) ?? null
    })
    return { status: res.statusCode, body: res.json() }
  }
  const view = async (version: string) => {
    const res = await cached.call({ method: 'GET', url: `/v1/images/tools/versions/${version}` })
    t.equal(res.statusCode, 200)
    return res.json()
  }
  const answered = (replica: TestApp, specs: string[], project = 'payments') => Promise.all(specs.map((s) => resolve(replica, s, project)))
  const SPECS = ['1.latest', '1.2.latest', 'latest', '1.2.0', '1.1.0', '2.latest']
  const DEBUG_SPECS = ['2.latest', 'latest', '2.1.0']

  // Warm the cache: these are the answers it holds before anything is announced.
  const before = await answered(cached, SPECS)
  t.same(
    before.map((a) => [a.status, a.body.version, a.body.drift]),
    [
      [200, '1.2.0', null],
      [200, '1.2.0', null],
      [200, '2.0.0', null],
      [200, '1.2.0', null],
      [200, '1.1.0', null],
      [200, '2.0.0', null]
    ]
  )
  t.same(
    (await answered(cached, DEBUG_SPECS, 'debug-proj')).map((a) => a.body.version),
    ['2.1.0', '2.1.0', '2.1.0']
  )

  // 1.2.0's digest vanished, 1.1.0's tag was re-pushed, 2.1.0 (testing) lost its digest too.
  await db
    .updateTable('imageVersions')
    .set({ unavailableSince: UNAVAILABLE_SINCE, unavailableReason: REASON, missingCount: 2 })
    .where('id', 'in', [v120.id, v210.id])
    .execute()
  await db.updateTable('imageVersions').set({ upstreamDigest: UPSTREAM, upstreamSeenAt: DRIFT_SEEN }).where('id', '=', v110.id).execute()

  await t.test('until a change is announced, the cache answers what it holds', async (t) => {
    t.same(await answered(cached, SPECS), before)
  })

  await announceChange(cached.app, tools)
  const drift = { upstreamDigest: UPSTREAM, firstSeenAt: DRIFT_SEEN.toISOString() }

  await t.test('N.latest, N.M.latest and latest fall back past the unavailable version; the drifted one shows its drift', async (t) => {
    for (const replica of [cached, uncached]) {
      const [line, minor, latest] = await answered(replica, ['1.latest', '1.2.latest', 'latest'])
      t.equal(line?.status, 200)
      t.same(line?.body, {
        image: 'tools',
        spec: '1.latest',
        version: '1.1.0',
        status: 'released',
        reference: 'registry.example.com/ci/tools:1.1.0',
        digest: digestOf('tools', '1.1.0'),
        pinnedReference: `registry.example.com/ci/tools@${digestOf('tools', '1.1.0')}`,
        platforms: [{ os: 'linux', architecture: 'amd64' }],
        drift,
        credential: null
      })
      t.match(minor, { status: 404, body: { code: 'VERSION_NOT_FOUND', spec: '1.2.latest', newestVersion: '2.0.0' } })
      t.match(latest, { status: 200, body: { version: '2.0.0', drift: null } })
      t.match(await resolve(replica, '1.1.0'), { status: 200, body: { version: '1.1.0', drift } }, 'an exact request shows drift too')
    }
  })

  await t.test('an exact request for the unavailable version: 410 naming why, since when, and what serves its line', async (t) => {
    for (const replica of [cached, uncached]) {
      const res = await replica.call({
        method: 'GET',
        url: '/v1/images/tools/resolve?version=1.2.0&project=payments',
        token: engines.get(replica) ?? null
      })
      t.equal(res.statusCode, 410)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      const body = res.json()
      t.match(body, {
        type: 'urn:ci-image-store:problem:version-unavailable',
        title: 'Gone',
        status: 410,
        code: 'VERSION_UNAVAILABLE',
        image: 'tools',
        version: '1.2.0',
        unavailableReason: REASON,
        unavailableSince: UNAVAILABLE_SINCE.toISOString(),
        servingVersion: '1.1.0'
      })
      t.match(body.detail, `Version 1.2.0 of "tools" cannot be pulled since ${UNAVAILABLE_SINCE.toISOString()}: ${REASON}.`)
      t.match(body.detail, '"1.latest" now resolves to 1.1.0')
    }
  })

  await t.test("the debug project's testing version: skipped by latest specs, 410 when asked for exactly", async (t) => {
    for (const replica of [cached, uncached]) {
      const [line, latest, exact] = await answered(replica, DEBUG_SPECS, 'debug-proj')
      t.match(line, { status: 200, body: { version: '2.0.0', status: 'released' } })
      t.match(latest, { status: 200, body: { version: '2.0.0' } })
      t.match(exact, { status: 410, body: { code: 'VERSION_UNAVAILABLE', version: '2.1.0', servingVersion: '2.0.0' } })
      t.match(
        await resolve(replica, '2.1.0'),
        { status: 404, body: { code: 'VERSION_NOT_FOUND' } },
        'a consumer learns nothing of a testing version, available or not'
      )
    }
  })

  await t.test('batch resolve answers each entry as the single resolve does, cached or not', async (t) => {
    const entries = ['1.latest', '1.2.0', '1.1.0', 'latest', '1.2.latest'].map((version) => ({ image: 'tools', version }))
    const bodies: unknown[] = []
    for (const replica of [cached, uncached]) {
      const res = await replica.call({
        method: 'POST',
        url: '/v1/resolve',
        token: engines.get(replica) ?? null,
        payload: { project: 'payments', images: entries }
      })
      t.equal(res.statusCode, 200)
      const results = res.json().results as { resolution?: Record<string, unknown>; problem?: Record<string, unknown> }[]
      const singles = await answered(
        replica,
        entries.map((e) => e.version)
      )
      results.forEach((result, i) => {
        const single = singles[i]
        if (result.resolution) t.same(result.resolution, single?.body, `${entries[i]?.version}: the single answer`)
        else {
          // instance and requestId name the request, not the answer.
          const { instance: _i, requestId: _r, ...problem } = result.problem ?? {}
          const { instance: _si, requestId: _sr, ...expected } = single?.body ?? {}
          t.same(problem, expected, `${entries[i]?.version}: the single problem`)
        }
      })
      t.match(results[1], { problem: { status: 410, code: 'VERSION_UNAVAILABLE', servingVersion: '1.1.0', instance: '/v1/resolve' } })
      t.match(results[0], { resolution: { version: '1.1.0', drift } })
      bodies.push(results)
    }
    const strip = (r: unknown) => JSON.parse(JSON.stringify(r).replace(/"requestId":"[^"]*"/g, '"requestId":""'))
    t.same(strip(bodies[0]), strip(bodies[1]), 'the cached replica and the uncached one answer alike')
  })

  await t.test('the Version view shows verification, drift, availability and signer', async (t) => {
    await db
      .updateTable('imageVersions')
      .set({
        verifiedAt: new Date('2026-11-30T10:12:41.000Z'),
        signedBy: 'release-2026',
        signedByFingerprint: 'sha256:0f4e2a'
      })
      .where('id', '=', v110.id)
      .execute()
    await db
      .updateTable('imageVersions')
      .set({ verificationError: 'registry.example.com answered 429' })
      .where('id', '=', v120.id)
      .execute()

    const drifted = await view('1.1.0')
    t.same(drifted.signedBy, { key: 'release-2026', fingerprint: 'sha256:0f4e2a' })
    t.same(drifted.verification, {
      lastVerifiedAt: '2026-11-30T10:12:41.000Z',
      lastError: null,
      drift,
      available: true,
      unavailableSince: null,
      unavailableReason: null
    })
    t.equal(drifted.status, 'released', 'drift is not a status')

    const gone = await view('1.2.0')
    t.equal(gone.status, 'released', 'neither is unavailability: the version keeps its status')
    t.equal(gone.signedBy, null)
    t.same(gone.verification, {
      lastVerifiedAt: null,
      lastError: 'registry.example.com answered 429',
      drift: null,
      available: false,
      unavailableSince: UNAVAILABLE_SINCE.toISOString(),
      unavailableReason: REASON
    })

    t.same((await view('1.0.0')).verification, {
      lastVerifiedAt: null,
      lastError: null,
      drift: null,
      available: true,
      unavailableSince: null,
      unavailableReason: null
    })
    const list = await cached.call({ method: 'GET', url: '/v1/images/tools/versions?line=1' })
    const items = list.json().items as { version: string; verification: { available: boolean; drift: unknown } }[]
    t.same(
      items.map((i) => [i.version, i.verification.available, i.verification.drift !== null]),
      [
        ['1.2.0', false, false],
        ['1.1.0', true, true],
        ['1.0.0', true, false]
      ],
      'the list shows the same'
    )

    await db.updateTable('imageVersions').set({ upstreamDigest: null }).where('id', '=', v110.id).execute()
    const tagGone = { upstreamDigest: null, firstSeenAt: DRIFT_SEEN.toISOString() }
    t.same((await view('1.1.0')).verification.drift, tagGone, 'a deleted tag is drift too')
    await announceChange(cached.app, tools)
    t.same((await resolve(cached, '1.latest')).body.drift, tagGone)
  })

  await t.test('the 410 is counted as gone, as a withdrawal is, and nothing is logged for it', async (t) => {
    const answers = async (outcome: string) => {
      const res = await cached.call({ method: 'GET', url: '/metrics', token: METRICS_TOKEN })
      return parseExposition(res.body).value('ci_image_store_resolve_answers_total', { outcome }) ?? 0
    }
    await cached.app.resolutionLog.flush()
    const logged = async () =>
      (await db.selectFrom('resolutions').select('version').where('imageId', '=', tools.id).execute()).map((r) => r.version)
    const gone = await answers('gone')
    const fresh = await answers('fresh')
    const versionsBefore = await logged()
    t.equal((await resolve(cached, '1.2.0')).status, 410)
    t.equal((await resolve(cached, '1.2.0')).status, 410)
    t.equal(await answers('gone'), gone + 2)
    t.equal(await answers('fresh'), fresh)
    await cached.app.resolutionLog.flush()
    t.notOk((await logged()).slice(versionsBefore.length).includes('1.2.0'), 'the resolution log holds resolutions, not refusals')
  })

  await t.test('the version back and the drift cleared: every answer follows the announced change', async (t) => {
    t.match(await resolve(cached, '1.latest'), { body: { version: '1.1.0' } }, 'cached before')
    await db
      .updateTable('imageVersions')
      .set({ unavailableSince: null, unavailableReason: null, missingCount: 0 })
      .where('id', 'in', [v120.id, v210.id])
      .execute()
    await db.updateTable('imageVersions').set({ upstreamDigest: null, upstreamSeenAt: null }).where('id', '=', v110.id).execute()
    t.match(await resolve(cached, '1.latest'), { body: { version: '1.1.0' } }, 'still the cached answer until announced')
    await announceChange(cached.app, tools)
    for (const replica of [cached, uncached]) {
      t.same(
        (await answered(replica, SPECS)).map((a) => [a.status, a.body.version, a.body.drift]),
        before.map((a) => [a.status, a.body.version, a.body.drift]),
        'the answers of before, everywhere'
      )
      t.same(
        (await answered(replica, DEBUG_SPECS, 'debug-proj')).map((a) => a.body.version),
        ['2.1.0', '2.1.0', '2.1.0']
      )
    }
    t.match((await view('1.2.0')).verification, { available: true, unavailableSince: null, unavailableReason: null })
  })
})
