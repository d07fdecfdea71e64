import t from 'tap'
import { build } from '../helpers/app.js'
import { maintainLog } from '../../src/resolution-log/retention.js'
import { insertLogRows } from '../helpers/log-rows.js'
import { dayPartition } from '../../src/resolution-log/log-partitions.js'
import { ensurePartitionsFor, listPartitions } from '../../src/resolution-log/log-partitions.repository.js'
import { digestOf, insertImage, insertVersion } from '../resolve/fixtures.js'

t.test('the resolution log answers "which pipelines ran which version"', async (t) => {
  const first = await build(t)
  const { app, call, token } = first
  const tools = await insertImage(app.db, 'tools', { visibilityProjects: ['payments', 'search'] })
  await insertVersion(app.db, tools, '1.0.0', 'released')
  const v110 = await insertVersion(app.db, tools, '1.1.0', 'released')
  const engine = await token({ name: 'engine', scopes: ['resolve'] })
  const resolve = (version: string, project: string, pipeline: string, buildId: string) =>
    call({
      method: 'GET',
      url: `/v1/images/tools/resolve?version=${version}&project=${project}&pipeline=${pipeline}&build=${buildId}`,
      token: engine
    })

  t.equal((await resolve('1.latest', 'payments', 'pay-main', 'b1')).statusCode, 200)
  t.equal((await resolve('1.0.0', 'search', 'search-nightly', 'b2')).statusCode, 200)
  t.equal((await resolve('1.latest', 'payments', 'pay-main', 'b3')).statusCode, 200)
  // Timestamps have millisecond precision: keep the boundary clear of both neighbours.
  await new Promise((r) => setTimeout(r, 5))
  const beforeLast = new Date()
  await new Promise((r) => setTimeout(r, 5))
  t.equal((await resolve('1.latest', 'search', 'search-main', 'b4')).statusCode, 200)
  await app.resolutionLog.flush()

  const list = (query = '', as?: string) =>
    call({ method: 'GET', url: `/v1/images/tools/resolutions${query}`, ...(as ? { token: as } : {}) })

  await t.test('newest first, with every recorded field', async (t) => {
    const res = await list()
    t.equal(res.statusCode, 200)
    const items = res.json().items as Array<Record<string, unknown>>
    t.same(
      items.map((i) => [i.spec, i.version, i.project, i.pipeline, i.build]),
      [
        ['1.latest', '1.1.0', 'search', 'search-main', 'b4'],
        ['1.latest', '1.1.0', 'payments', 'pay-main', 'b3'],
        ['1.0.0', '1.0.0', 'search', 'search-nightly', 'b2'],
        ['1.latest', '1.1.0', 'payments', 'pay-main', 'b1']
      ]
    )
    t.match(items[0], { status: 'released', digest: digestOf('tools', '1.1.0'), resolvedAt: /^\d{4}-\d\d-\d\dT/ })
    t.equal(res.json().nextCursor, null)
  })

  await t.test('filters: project, version, since', async (t) => {
    t.same(
      (await list('?project=payments')).json().items.map((i: { build: string }) => i.build),
      ['b3', 'b1']
    )
    t.same(
      (await list('?version=1.0.0')).json().items.map((i: { build: string }) => i.build),
      ['b2']
    )
    t.same(
      (await list(`?since=${beforeLast.toISOString()}`)).json().items.map((i: { build: string }) => i.build),
      ['b4']
    )
    t.same(
      (await list('?project=search&version=1.1.0')).json().items.map((i: { build: string }) => i.build),
      ['b4']
    )
  })

  await t.test('keyset pages', async (t) => {
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const res = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...res.json().items.map((i: { build: string }) => i.build))
      cursor = res.json().nextCursor
    } while (cursor)
    t.same(seen, ['b4', 'b3', 'b2', 'b1'])
  })

  await t.test('usage: the projects that resolved a version, with counts and last time', async (t) => {
    const res = await call({ method: 'GET', url: '/v1/images/tools/versions/1.1.0/usage' })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.same(
      body.projects.map((p: { project: string; resolutions: number }) => [p.project, p.resolutions]),
      [
        ['search', 1],
        ['payments', 2]
      ]
    )
    t.equal(body.image, 'tools')
    t.equal(body.version, '1.1.0')
    t.ok(Date.parse(body.projects[0].lastResolvedAt) >= beforeLast.getTime())
    const unused = await app.db
      .insertInto('imageVersions')
      .values({
        imageId: tools.id,
        major: 0,
        minor: 9,
        patch: 0,
        status: 'cancelled',
        registry: 'r',
        repository: 'x',
        tag: 't',
        submittedBy: 'p'
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    t.ok(unused.id && v110.id)
    t.same((await call({ method: 'GET', url: '/v1/images/tools/versions/0.9.0/usage' })).json().projects, [], 'a version nobody resolved')
  })

  await t.test('a token limited to projects sees only their rows; 404 where it sees no image', async (t) => {
    const payments = await token({ name: 'pay-reader', scopes: ['images:read'], projects: ['payments'] })
    t.same(
      (await list('', payments)).json().items.map((i: { project: string }) => i.project),
      ['payments', 'payments']
    )
    const usage = await call({ method: 'GET', url: '/v1/images/tools/versions/1.1.0/usage', token: payments })
    t.same(
      usage.json().projects.map((p: { project: string }) => p.project),
      ['payments']
    )
    const owner = await token({ name: 'owner-reader', scopes: ['images:read'], projects: ['owner-proj'] })
    t.equal((await list('', owner)).json().items.length, 4, "the owner project sees every project's rows")
    const stranger = await token({ name: 'stranger', scopes: ['images:read'], projects: ['stranger'] })
    const hidden = await list('', stranger)
    t.equal(hidden.statusCode, 404)
    t.equal(hidden.json().code, 'IMAGE_NOT_FOUND')
    t.equal((await call({ method: 'GET', url: '/v1/images/tools/versions/1.1.0/usage', token: stranger })).statusCode, 404)
    const forbidden = await list('?project=search', payments)
    t.equal(forbidden.statusCode, 403)
    t.equal(forbidden.json().code, 'PROJECT_NOT_ALLOWED')
  })

  await t.test('4xx', async (t) => {
    t.equal((await list('', null as unknown as string)).statusCode, 200, 'admin by default')
    t.equal((await call({ method: 'GET', url: '/v1/images/tools/resolutions', token: null })).statusCode, 401)
    const noRead = await list('', engine)
    t.equal(noRead.statusCode, 403)
    t.match(noRead.json(), { code: 'INSUFFICIENT_SCOPE', requiredScope: 'images:read' })
    t.match((await list('?cursor=bm9wZQ')).json(), { status: 400, code: 'INVALID_CURSOR' })
    t.match((await list('?version=1.latest')).json(), { status: 400, code: 'VALIDATION_FAILED' })
    t.match((await list('?since=yesterday')).json(), { status: 400, code: 'VALIDATION_FAILED' })
    t.match((await list('?limit=0')).json(), { status: 400, code: 'VALIDATION_FAILED' })
    t.match((await call({ method: 'GET', url: '/v1/images/nope/resolutions' })).json(), { status: 404, code: 'IMAGE_NOT_FOUND' })
    t.match((await call({ method: 'GET', url: '/v1/images/nope/versions/1.0.0/usage' })).json(), { status: 404, code: 'IMAGE_NOT_FOUND' })
    t.match((await call({ method: 'GET', url: '/v1/images/tools/versions/7.0.0/usage' })).json(), {
      status: 404,
      code: 'VERSION_NOT_FOUND',
      version: '7.0.0'
    })
    t.match((await call({ method: 'GET', url: '/v1/images/tools/versions/1.latest/usage' })).json(), {
      status: 400,
      code: 'VALIDATION_FAILED'
    })
    t.match((await call({ method: 'GET', url: '/v1/images/tools/versions/1.0.0/usage', token: engine })).json(), {
      status: 403,
      code: 'INSUFFICIENT_SCOPE'
    })
  })

  await t.test('days older than the retention are dropped whole, the next week is created ahead', async (t) => {
    const old = new Date(Date.now() - (app.config.RESOLUTION_RETENTION_DAYS + 1) * 86_400_000)
    await ensurePartitionsFor(app.db, 'resolutions', [old])
    await ensurePartitionsFor(app.db, 'pull_secret_grants', [old])
    await app.db
      .insertInto('resolutions')
      .values({
        imageId: tools.id,
        spec: '1.latest',
        version: '1.0.0',
        status: 'released',
        digest: 'sha256:x',
        project: 'payments',
        pipeline: null,
        build: 'ancient',
        tokenId: null,
        firstResolvedAt: old,
        resolvedAt: old
      })
      .execute()
    await app.db
      .insertInto('pullSecretGrants')
      .values({
        credentialId: tools.id,
        imageId: tools.id,
        version: '1.0.0',
        project: 'payments',
        pipeline: null,
        build: null,
        tokenId: tools.id,
        tokenName: 'x',
        grantedAt: old
      })
      .execute()
    const done = await maintainLog(app)
    t.same(done.dropped, [dayPartition('resolutions', old).name, dayPartition('pull_secret_grants', old).name])
    t.same(done.created, [], 'the migration and the start-up already made the coming days')
    t.notOk((await listPartitions(app.db, 'resolutions')).includes(dayPartition('resolutions', old).name))
    t.ok((await listPartitions(app.db, 'resolutions')).includes(dayPartition('resolutions', new Date(Date.now() + 7 * 86_400_000)).name))
    t.equal((await list()).json().items.length, 4, 'recent rows stay')
  })

  await t.test('a row of an image deleted before the flush is dropped, not the batch', async (t) => {
    const doomed = await insertImage(app.db, 'doomed', { visibilityPublic: true })
    await insertVersion(app.db, doomed, '1.0.0', 'released')
    t.equal(
      (await call({ method: 'GET', url: '/v1/images/doomed/resolve?version=1.latest&project=payments&build=doomed', token: engine }))
        .statusCode,
      200
    )
    t.equal((await resolve('1.latest', 'payments', 'pay-main', 'survivor')).statusCode, 200)
    await app.db.deleteFrom('images').where('id', '=', doomed.id).execute()
    await app.resolutionLog.flush()
    t.equal(app.resolutionLog.buffered, 0)
    const builds = await app.db.selectFrom('resolutions').select('build').where('build', 'in', ['doomed', 'survivor']).execute()
    t.same(builds, [{ build: 'survivor' }])
    await app.db.deleteFrom('resolutions').where('build', '=', 'survivor').execute()
  })

  await t.test('every read of the log is bounded by time: 30 days unless the request says otherwise', async (t) => {
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000)
    const row = (build: string, at: Date) => ({
      imageId: tools.id,
      spec: '1.latest',
      version: '1.1.0',
      status: 'released',
      digest: digestOf('tools', '1.1.0'),
      project: 'payments',
      pipeline: 'pay-main',
      build,
      tokenId: null,
      count: 1,
      firstResolvedAt: at,
      resolvedAt: at
    })
    await insertLogRows(app.db, [row('40-days-ago', daysAgo(40)), row('10-days-ago', daysAgo(10))])
    const builds = async (query: string) => (await list(query)).json().items.map((i: { build: string }) => i.build) as string[]
    t.same((await builds('?project=payments')).slice(-2), ['b1', '10-days-ago'], 'the default window leaves the older row out')
    t.same((await builds(`?project=payments&since=${daysAgo(50).toISOString()}`)).slice(-2), ['10-days-ago', '40-days-ago'])
    t.same(await builds(`?project=payments&until=${daysAgo(5).toISOString()}`), ['10-days-ago'], 'until, and 30 days before it')
    t.same(await builds(`?project=payments&until=${daysAgo(20).toISOString()}`), ['40-days-ago'])
    t.same(await builds(`?until=${beforeLast.toISOString()}&since=${daysAgo(1).toISOString()}`), ['b3', 'b2', 'b1'])
    const backwards = await list(`?since=${beforeLast.toISOString()}&until=${daysAgo(1).toISOString()}`)
    t.equal(backwards.statusCode, 400)
    t.match(backwards.json(), { code: 'VALIDATION_FAILED', errors: [{ path: 'querystring.since', message: 'must be before until' }] })

    const usage = async (query = '') => call({ method: 'GET', url: `/v1/images/tools/versions/1.1.0/usage${query}` })
    const payments = (body: { projects: Array<{ project: string; resolutions: number }> }) =>
      body.projects.find((p) => p.project === 'payments')?.resolutions
    const byDefault = (await usage()).json()
    t.equal(byDefault.window, '30d')
    t.ok(Math.abs(Date.parse(byDefault.since) - daysAgo(30).getTime()) < 60_000, 'since is 30 days back')
    t.equal(payments(byDefault), 3, 'b1, b3 and the row of 10 days ago')
    t.equal(payments((await usage('?window=60d')).json()), 4)
    t.equal(payments((await usage('?window=240h')).json()), 2, 'ten days exactly leave the row of 10 days ago out')
    const tooLong = await usage(`?window=${app.config.RESOLUTION_RETENTION_DAYS + 1}d`)
    t.equal(tooLong.statusCode, 400)
    t.match(tooLong.json(), { code: 'VALIDATION_FAILED', errors: [{ path: 'querystring.window' }] })
    t.equal((await usage('?window=0d')).statusCode, 400)
    await app.db.deleteFrom('resolutions').where('build', 'in', ['40-days-ago', '10-days-ago']).execute()
  })

  await t.test('the buffer is flushed when the app closes', async (t) => {
    const replica = await build(t, { databaseUrl: first.databaseUrl })
    const res = await replica.call({
      method: 'GET',
      url: '/v1/images/tools/resolve?version=1.0.0&project=payments&build=at-close',
      token: engine
    })
    t.equal(res.statusCode, 200)
    t.equal(replica.app.resolutionLog.buffered, 1, 'not written yet')
    await replica.app.close()
    const row = await app.db.selectFrom('resolutions').select('build').where('build', '=', 'at-close').executeTakeFirst()
    t.same(row, { build: 'at-close' })
  })
})
