import t from 'tap'
import { build } from '../helpers/app.js'
import type { ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { insertLogRows } from '../helpers/log-rows.js'
import { insertImage, insertVersion, setStatus } from '../resolve/fixtures.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR

t.test('impact: who a release would move, and who is on a released version', async (t) => {
  const { app, call, token } = await build(t)
  const now = Date.now()
  const ago = (ms: number) => new Date(now - ms)
  const tools = await insertImage(app.db, 'tools', { visibilityProjects: ['payments', 'search', 'web', 'ci'] })
  const other = await insertImage(app.db, 'other', { visibilityPublic: true })
  for (const v of ['1.3.0', '1.4.2', '1.4.3', '2.0.0']) await insertVersion(app.db, tools, v, 'released')
  const testing = await insertVersion(app.db, tools, '1.5.0', 'testing')
  await insertVersion(app.db, tools, '0.9.0', 'withdrawn')
  await insertVersion(app.db, other, '1.0.0', 'released')

  const row = (
    image: { id: string },
    project: string,
    pipeline: string | null,
    spec: string,
    version: string,
    count: number,
    at: Date
  ): ResolutionRecord => ({
    imageId: image.id,
    spec,
    version,
    status: 'released',
    digest: 'sha256:x',
    project,
    pipeline,
    build: null,
    tokenId: null,
    count,
    firstResolvedAt: at,
    resolvedAt: at
  })
  await insertLogRows(app.db, [
    row(tools, 'payments', 'pay-main', '1.latest', '1.4.2', 5, ago(48 * HOUR)),
    row(tools, 'payments', 'pay-main', '1.*', '1.4.3', 1, ago(24 * HOUR)),
    row(tools, 'payments', null, '1.latest', '1.4.3', 2, ago(72 * HOUR)),
    row(tools, 'search', 's-main', '1.latest', '1.4.2', 3, ago(40 * DAY)),
    row(tools, 'web', 'w-main', 'latest', '2.0.0', 100, ago(HOUR)),
    row(tools, 'web', 'w-main', '1.4.2', '1.4.2', 7, ago(10 * HOUR)),
    row(tools, 'ci', 'nightly', '1.4.latest', '1.4.2', 1, ago(5 * DAY)),
    row(tools, 'ci', 'nightly', '1.4.latest', '1.4.3', 1, ago(DAY)),
    row(tools, 'search', 'old', '0.latest', '0.9.0', 4, ago(20 * DAY)),
    row(other, 'payments', 'pay-main', '1.latest', '1.0.0', 50, ago(HOUR))
  ])
  const impact = (version: string, query = '', as?: string) =>
    call({ method: 'GET', url: `/v1/images/tools/versions/${version}/impact${query}`, ...(as ? { token: as } : {}) })
  const at = (ms: number) => ago(ms).toISOString()

  await t.test('a version in testing: the specs its release moves, and who resolved them in the window', async (t) => {
    const asked = Date.now()
    const res = await impact('1.5.0')
    const answered = Date.now()
    t.equal(res.statusCode, 200, res.body)
    const body = res.json()
    t.match(body, { image: 'tools', version: '1.5.0', status: 'testing', kind: 'on_release', window: '30d', truncated: false })
    const since = Date.parse(body.since)
    t.ok(since >= asked - 30 * DAY && since <= answered - 30 * DAY, 'the default window is the 30 days before the request')
    t.same(body.specs, [
      { spec: '1.latest', moves: true, heldBy: null },
      { spec: '1.*', moves: true, heldBy: null },
      { spec: '1.5.latest', moves: true, heldBy: null },
      { spec: '1.5.*', moves: true, heldBy: null },
      { spec: 'latest', moves: false, heldBy: '2.0.0' }
    ])
    t.same(body.resolvers, [
      {
        project: 'payments',
        pipeline: 'pay-main',
        specs: ['1.*', '1.latest'],
        resolutions: 6,
        lastResolvedAt: at(24 * HOUR),
        currentVersion: '1.4.3'
      },
      { project: 'payments', pipeline: null, specs: ['1.latest'], resolutions: 2, lastResolvedAt: at(72 * HOUR), currentVersion: '1.4.3' }
    ])
    t.same(body.totals, { projects: 1, pipelines: 1, resolutions: 8 })
  })

  await t.test('the window reaches further back when asked; most resolutions first', async (t) => {
    const body = (await impact('1.5.0', '?window=60d')).json()
    t.same(
      body.resolvers.map((r: { project: string; pipeline: string | null; resolutions: number }) => [r.project, r.pipeline, r.resolutions]),
      [
        ['payments', 'pay-main', 6],
        ['search', 's-main', 3],
        ['payments', null, 2]
      ]
    )
    t.same(body.totals, { projects: 2, pipelines: 2, resolutions: 11 })
    const hours = (await impact('1.5.0', '?window=49h')).json()
    t.same(hours.totals, { projects: 1, pipelines: 1, resolutions: 6 }, 'in hours: only what pay-main resolved in the last 49 hours')
  })

  await t.test('awaiting approval is previewed as well', async (t) => {
    await setStatus(app.db, testing.id, 'awaiting_approval')
    t.teardown(() => setStatus(app.db, testing.id, 'testing'))
    const body = (await impact('1.5.0')).json()
    t.match(body, { status: 'awaiting_approval', kind: 'on_release', totals: { resolutions: 8 } })
  })

  await t.test('a released version: who resolved it in the window, what they asked, and what they get now', async (t) => {
    const res = await impact('1.4.2')
    t.equal(res.statusCode, 200, res.body)
    const body = res.json()
    t.match(body, { version: '1.4.2', status: 'released', kind: 'in_use', specs: null, truncated: false })
    t.same(body.resolvers, [
      { project: 'web', pipeline: 'w-main', specs: ['1.4.2'], resolutions: 7, lastResolvedAt: at(10 * HOUR), currentVersion: '1.4.2' },
      {
        project: 'payments',
        pipeline: 'pay-main',
        specs: ['1.latest'],
        resolutions: 5,
        lastResolvedAt: at(48 * HOUR),
        currentVersion: '1.4.2'
      },
      { project: 'ci', pipeline: 'nightly', specs: ['1.4.latest'], resolutions: 1, lastResolvedAt: at(5 * DAY), currentVersion: '1.4.3' }
    ])
    t.same(body.totals, { projects: 3, pipelines: 3, resolutions: 13 })
  })

  await t.test('a withdrawn version: who resolved it', async (t) => {
    const body = (await impact('0.9.0')).json()
    t.match(body, { status: 'withdrawn', kind: 'in_use', totals: { projects: 1, pipelines: 1, resolutions: 4 } })
  })

  await t.test('a consumer reads its own projects only, totals included', async (t) => {
    const web = await token({ name: 'web-reader', scopes: ['images:read'], projects: ['web'] })
    const released = (await impact('1.4.2', '', web)).json()
    t.same(
      released.resolvers.map((r: { project: string }) => r.project),
      ['web']
    )
    t.same(released.totals, { projects: 1, pipelines: 1, resolutions: 7 })
    const preview = await impact('1.5.0', '', web)
    t.equal(preview.statusCode, 200)
    t.same(preview.json().resolvers, [])
    t.same(preview.json().totals, { projects: 0, pipelines: 0, resolutions: 0 })
  })

  await t.test('401, 403, 404', async (t) => {
    const none = await call({ method: 'GET', url: '/v1/images/tools/versions/1.5.0/impact', token: null })
    t.equal(none.statusCode, 401)
    const resolver = await token({ name: 'engine', scopes: ['resolve'], projects: ['web'] })
    const forbidden = await impact('1.5.0', '', resolver)
    t.equal(forbidden.statusCode, 403)
    t.match(forbidden.json(), { code: 'INSUFFICIENT_SCOPE' })
    const stranger = await token({ name: 'stranger', scopes: ['images:read'], projects: ['elsewhere'] })
    const hidden = await impact('1.5.0', '', stranger)
    t.equal(hidden.statusCode, 404, 'a private image is not revealed')
    t.match(hidden.json(), { code: 'IMAGE_NOT_FOUND' })
    const noImage = await call({ method: 'GET', url: '/v1/images/nope/versions/1.0.0/impact' })
    t.equal(noImage.statusCode, 404)
    t.match(noImage.json(), { code: 'IMAGE_NOT_FOUND', image: 'nope' })
    const noVersion = await impact('1.9.9')
    t.equal(noVersion.statusCode, 404)
    t.match(noVersion.json(), { code: 'VERSION_NOT_FOUND', image: 'tools', version: '1.9.9' })
    t.equal((await impact('1.05.0')).statusCode, 400, 'not a version number')
  })

  await t.test('400: a window not in hours or days, or longer than the log keeps', async (t) => {
    for (const window of ['30', '0d', '30m', '1w', '-1d', '1.5d', '']) {
      const res = await impact('1.5.0', `?window=${window}`)
      t.equal(res.statusCode, 400, window)
      t.match(res.json(), { code: 'VALIDATION_FAILED', errors: [{ path: 'querystring.window' }] }, window)
    }
    const tooLong = await impact('1.5.0', '?window=91d')
    t.equal(tooLong.statusCode, 400)
    t.match(tooLong.json(), {
      code: 'VALIDATION_FAILED',
      detail: /retention, 90d/,
      errors: [{ path: 'querystring.window', message: "must be at most the resolution log's retention, 90d" }]
    })
    t.equal((await impact('1.5.0', '?window=2161h')).statusCode, 400, 'in hours too')
    t.equal((await impact('1.5.0', '?window=2160h')).statusCode, 200, 'the whole retention')
    t.equal((await impact('1.5.0', '?window=90d')).statusCode, 200)
  })

  await t.test('at most 500 rows, the least resolved left out; totals count every row', async (t) => {
    const many = Array.from({ length: 501 }, (_, i) => row(tools, 'ci', `p-${i}`, '1.3.0', '1.3.0', i + 1, ago(HOUR)))
    await insertLogRows(app.db, many)
    const body = (await impact('1.3.0')).json()
    t.equal(body.resolvers.length, 500)
    t.equal(body.truncated, true)
    t.same(body.totals, { projects: 1, pipelines: 501, resolutions: (501 * 502) / 2 })
    t.match(body.resolvers[0], { pipeline: 'p-500', resolutions: 501 })
    t.match(body.resolvers[499], { pipeline: 'p-1', resolutions: 2 })
  })
})
