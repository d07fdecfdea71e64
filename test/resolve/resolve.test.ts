import t from 'tap'
import { build } from '../helpers/app.js'
import { announceChange, digestOf, insertImage, insertVersion, setStatus } from './fixtures.js'

const resolveUrl = (code: string, query: string) => `/v1/images/${code}/resolve?${query}`

t.test('resolve rules through the API', async (t) => {
  const { app, call, token } = await build(t)
  const tools = await insertImage(app.db, 'tools', { visibilityProjects: ['payments'] })
  await insertVersion(app.db, tools, '1.2.0', 'released')
  await insertVersion(app.db, tools, '1.9.0', 'released')
  const v1100 = await insertVersion(app.db, tools, '1.10.0', 'released')
  await insertVersion(app.db, tools, '1.10.1', 'withdrawn')
  await insertVersion(app.db, tools, '2.0.0', 'released')
  await insertVersion(app.db, tools, '2.1.0', 'testing')
  await insertVersion(app.db, tools, '2.2.0', 'cancelled')
  const engine = await token({ name: 'engine', scopes: ['resolve'], projects: ['payments', 'debug-proj'] })

  const resolve = (query: string, as = engine) => call({ method: 'GET', url: resolveUrl('tools', query), token: as })

  await t.test('N.latest: the newest release of major N, numerically, exact and pinned', async (t) => {
    const res = await resolve('version=1.latest&project=payments&pipeline=p1&build=b1')
    t.equal(res.statusCode, 200)
    t.same(res.json(), {
      image: 'tools',
      spec: '1.latest',
      version: '1.10.0',
      status: 'released',
      reference: 'registry.example.com/ci/tools:1.10.0',
      digest: digestOf('tools', '1.10.0'),
      pinnedReference: `registry.example.com/ci/tools@${digestOf('tools', '1.10.0')}`,
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      drift: null,
      credential: null
    })
    t.notOk('pullSecret' in res.json(), 'no pull secret without the pull-secrets scope')
    t.equal(res.headers['cache-control'], 'no-store')
    t.equal(res.headers['x-cache-stale'], undefined)
    t.equal(res.headers.warning, undefined)
  })

  await t.test('every spec form', async (t) => {
    const cases: Array<[string, string]> = [
      ['1.*', '1.10.0'],
      ['1.9.latest', '1.9.0'],
      ['1.9.*', '1.9.0'],
      ['latest', '2.0.0'],
      ['2.latest', '2.0.0'],
      ['1.2.0', '1.2.0'],
      ['2.0.0', '2.0.0']
    ]
    for (const [spec, expected] of cases) {
      const res = await resolve(`version=${encodeURIComponent(spec)}&project=payments`)
      t.equal(res.statusCode, 200, spec)
      t.equal(res.json().version, expected, spec)
      t.equal(res.json().spec, spec)
    }
  })

  await t.test('the debug project also sees the testing version; nobody else does', async (t) => {
    const latest = await resolve('version=2.latest&project=debug-proj')
    t.equal(latest.json().version, '2.1.0')
    t.equal(latest.json().status, 'testing')
    t.equal((await resolve('version=2.1.0&project=debug-proj')).json().version, '2.1.0')
    t.equal((await resolve('version=latest&project=debug-proj')).json().version, '2.1.0')

    const other = await resolve('version=2.1.0&project=payments')
    t.equal(other.statusCode, 404)
    t.match(other.json(), { code: 'VERSION_NOT_FOUND', image: 'tools', spec: '2.1.0', newestVersion: '2.0.0' })
    t.equal((await resolve('version=2.latest&project=payments')).json().version, '2.0.0')
  })

  await t.test('404 VERSION_NOT_FOUND names the spec and the newest version that exists', async (t) => {
    for (const spec of ['3.latest', '1.3.latest', '1.4.4', '2.2.0']) {
      const res = await resolve(`version=${spec}&project=payments`)
      t.equal(res.statusCode, 404, spec)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.match(res.json(), { status: 404, code: 'VERSION_NOT_FOUND', spec, newestVersion: '2.0.0' })
      t.match(res.json().detail, `no version matching "${spec}" that project "payments" can use; the newest it can use is 2.0.0`)
    }
  })

  await t.test('410 for an exact withdrawn version, with the reason and what serves its line now', async (t) => {
    const res = await resolve('version=1.10.1&project=payments')
    t.equal(res.statusCode, 410)
    t.match(res.json(), { code: 'VERSION_WITHDRAWN', version: '1.10.1', withdrawReason: 'broken glibc', servingVersion: '1.10.0' })
    t.match(res.json().detail, '"1.latest" now resolves to 1.10.0')
  })

  await t.test('400 names the grammar', async (t) => {
    for (const bad of ['1', 'v1.latest', '1.2.3.4', '01.latest', '*']) {
      const res = await resolve(`version=${encodeURIComponent(bad)}&project=payments`)
      t.equal(res.statusCode, 400, bad)
      t.match(res.json(), {
        code: 'INVALID_VERSION_SPEC',
        spec: bad,
        grammar: ['N.latest', 'N.M.latest', 'latest', 'X.Y.Z', 'N.*', 'N.M.*']
      })
      t.match(res.json().detail, 'N.latest (newest in major N)')
    }
    const missing = await resolve('version=1.latest')
    t.equal(missing.statusCode, 400)
    t.equal(missing.json().code, 'VALIDATION_FAILED')
    t.equal((await resolve('version=1.latest&project=Bad%20Project')).json().code, 'VALIDATION_FAILED')
    t.equal((await resolve('version=1.latest&project=payments&extra=1')).json().code, 'VALIDATION_FAILED')
    t.equal((await resolve(`version=1.latest&project=payments&pipeline=${'x'.repeat(201)}`)).json().code, 'VALIDATION_FAILED')
  })

  await t.test('400 for what PostgreSQL could not store or look up (NUL), and nothing reaches the log', async (t) => {
    await app.resolutionLog.flush()
    const before = app.resolutionLog.buffered
    for (const query of ['version=1.latest&project=payments&pipeline=a%00b', 'version=1.latest&project=payments&build=%00']) {
      const res = await resolve(query)
      t.equal(res.statusCode, 400, query)
      t.match(res.json(), { code: 'VALIDATION_FAILED' })
    }
    const badCode = await call({ method: 'GET', url: resolveUrl('to%00ls', 'version=1.latest&project=payments'), token: engine })
    t.equal(badCode.statusCode, 400)
    t.match(badCode.json(), { code: 'VALIDATION_FAILED' })
    const batch = (body: object) => call({ method: 'POST', url: '/v1/resolve', token: engine, payload: body })
    t.equal((await batch({ project: 'payments', build: 'b\u0000', images: [{ image: 'tools', version: '1.latest' }] })).statusCode, 400)
    t.equal((await batch({ project: 'payments', images: [{ image: 'to\u0000ls', version: '1.latest' }] })).statusCode, 400)
    t.equal(app.resolutionLog.buffered, before, 'no row was buffered')
  })

  await t.test('401 without a token, 403 without the scope or the project', async (t) => {
    const none = await resolve('version=1.latest&project=payments', null as unknown as string)
    t.equal(none.statusCode, 401)
    const reader = await token({ name: 'reader', scopes: ['images:read'] })
    const noScope = await resolve('version=1.latest&project=payments', reader)
    t.equal(noScope.statusCode, 403)
    t.match(noScope.json(), { code: 'INSUFFICIENT_SCOPE', requiredScope: 'resolve' })
    const otherProject = await resolve('version=1.latest&project=stranger')
    t.equal(otherProject.statusCode, 403)
    t.match(otherProject.json(), { code: 'PROJECT_NOT_ALLOWED', project: 'stranger' })
  })

  await t.test('404: an unknown and an invisible image read the same to an ordinary token', async (t) => {
    const any = await token({ name: 'engine-all', scopes: ['resolve'] })
    const unknown = await call({ method: 'GET', url: resolveUrl('nope', 'version=1.latest&project=stranger'), token: any })
    const invisible = await call({ method: 'GET', url: resolveUrl('tools', 'version=1.latest&project=stranger'), token: any })
    t.equal(unknown.statusCode, 404)
    t.equal(invisible.statusCode, 404)
    t.match(unknown.json(), { code: 'IMAGE_NOT_FOUND', image: 'nope', project: 'stranger' })
    t.match(invisible.json(), { code: 'IMAGE_NOT_FOUND', image: 'tools', project: 'stranger' })
    t.equal(invisible.json().detail.replace('tools', 'nope'), unknown.json().detail, 'no hint that "tools" exists')

    // An admin may list every image anyway, so it learns which part failed.
    const adminUnknown = await call({ method: 'GET', url: resolveUrl('nope', 'version=1.latest&project=stranger') })
    t.match(adminUnknown.json(), { status: 404, code: 'IMAGE_NOT_FOUND' })
    const adminInvisible = await call({ method: 'GET', url: resolveUrl('tools', 'version=1.latest&project=stranger') })
    t.match(adminInvisible.json(), { status: 404, code: 'IMAGE_NOT_VISIBLE', image: 'tools', project: 'stranger' })

    // Public images, the owner and the debug project always see it.
    t.equal((await call({ method: 'GET', url: resolveUrl('tools', 'version=1.latest&project=owner-proj'), token: any })).statusCode, 200)
    t.equal((await call({ method: 'GET', url: resolveUrl('tools', 'version=1.latest&project=debug-proj'), token: any })).statusCode, 200)
  })

  await t.test('the cache is exact through announced changes: a new release, a withdrawal, a visibility change', async (t) => {
    const released = await insertVersion(app.db, tools, '1.11.0', 'released')
    t.equal((await resolve('version=1.latest&project=payments')).json().version, '1.10.0', 'still cached before the change is announced')
    await announceChange(app, tools)
    t.equal((await resolve('version=1.latest&project=payments')).json().version, '1.11.0', 'at once after the change')

    await setStatus(app.db, released.id, 'withdrawn', { withdrawReason: 'regression' })
    await setStatus(app.db, v1100.id, 'withdrawn', { withdrawReason: 'regression' })
    await announceChange(app, tools)
    t.equal((await resolve('version=1.latest&project=payments')).json().version, '1.9.0', 'withdrawing falls back at once')
    const gone = await resolve('version=1.11.0&project=payments')
    t.match(gone.json(), { status: 410, servingVersion: '1.9.0', withdrawReason: 'regression' })

    await app.db.updateTable('images').set({ visibilityProjects: [] }).where('id', '=', tools.id).execute()
    await announceChange(app, tools)
    t.equal((await resolve('version=1.latest&project=payments')).statusCode, 404)
    await app.db.updateTable('images').set({ visibilityPublic: true }).where('id', '=', tools.id).execute()
    await announceChange(app, tools)
    t.equal((await resolve('version=1.latest&project=payments')).statusCode, 200)
  })

  await t.test('an image without any release', async (t) => {
    await insertImage(app.db, 'empty', { visibilityPublic: true })
    const res = await call({ method: 'GET', url: resolveUrl('empty', 'version=latest&project=payments'), token: engine })
    t.equal(res.statusCode, 404)
    t.match(res.json(), { code: 'VERSION_NOT_FOUND', newestVersion: null })
    t.match(res.json().detail, 'it has no released version yet')
  })
})

t.test('RESOLVE_CACHE=false reads the database on every request', async (t) => {
  const { app, call } = await build(t, { env: { RESOLVE_CACHE: 'false' } })
  const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
  await insertVersion(app.db, image, '1.0.0', 'released')
  t.equal((await call({ method: 'GET', url: resolveUrl('tools', 'version=1.latest&project=payments') })).json().version, '1.0.0')
  await insertVersion(app.db, image, '1.0.1', 'released')
  // No change announced: nothing was cached, so the new release is seen at once.
  t.equal((await call({ method: 'GET', url: resolveUrl('tools', 'version=1.latest&project=payments') })).json().version, '1.0.1')
})
