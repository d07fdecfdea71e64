import t from 'tap'
import { build } from '../helpers/app.js'
import { insertImage, insertVersion } from './fixtures.js'

t.test('POST /v1/resolve: one result per entry, in order', async (t) => {
  const { app, call, token } = await build(t)
  const tools = await insertImage(app.db, 'tools', { visibilityPublic: true })
  await insertVersion(app.db, tools, '1.0.0', 'released')
  await insertVersion(app.db, tools, '1.1.0', 'withdrawn')
  await insertVersion(app.db, tools, '2.0.0', 'released')
  await insertImage(app.db, 'secret', { visibilityPublic: false })
  const engine = await token({ name: 'engine', scopes: ['resolve'], projects: ['payments'] })

  const res = await call({
    method: 'POST',
    url: '/v1/resolve',
    token: engine,
    payload: {
      project: 'payments',
      pipeline: 'p1',
      build: 'b7',
      images: [
        { image: 'tools', version: '1.latest' },
        { image: 'tools', version: 'one.latest' },
        { image: 'missing', version: '1.latest' },
        { image: 'secret', version: '1.latest' },
        { image: 'tools', version: '1.1.0' },
        { image: 'tools', version: '3.latest' },
        { image: 'tools', version: 'latest' }
      ]
    }
  })
  t.equal(res.statusCode, 200)
  const results = res.json().results as Array<{
    image: string
    version: string
    resolution?: { version: string }
    problem?: Record<string, unknown>
  }>
  t.same(
    results.map((r) => [r.image, r.version, r.resolution?.version ?? r.problem?.code, r.problem?.status]),
    [
      ['tools', '1.latest', '1.0.0', undefined],
      ['tools', 'one.latest', 'INVALID_VERSION_SPEC', 400],
      ['missing', '1.latest', 'IMAGE_NOT_FOUND', 404],
      ['secret', '1.latest', 'IMAGE_NOT_FOUND', 404],
      ['tools', '1.1.0', 'VERSION_WITHDRAWN', 410],
      ['tools', '3.latest', 'VERSION_NOT_FOUND', 404],
      ['tools', 'latest', '2.0.0', undefined]
    ]
  )
  t.match(results[4]?.problem, {
    type: 'urn:ci-image-store:problem:version-withdrawn',
    title: 'Gone',
    instance: '/v1/resolve',
    requestId: res.headers['x-request-id'],
    servingVersion: '1.0.0'
  })

  await app.resolutionLog.flush()
  const logged = await app.db
    .selectFrom('resolutions')
    .select(['spec', 'version', 'pipeline', 'build', 'project'])
    .orderBy('version')
    .execute()
  t.same(
    logged,
    [
      { spec: '1.latest', version: '1.0.0', pipeline: 'p1', build: 'b7', project: 'payments' },
      { spec: 'latest', version: '2.0.0', pipeline: 'p1', build: 'b7', project: 'payments' }
    ],
    'only resolutions are logged, not problems'
  )

  await t.test('400 for a malformed batch; nothing is resolved', async (t) => {
    const entry = { image: 'tools', version: '1.latest' }
    const tooMany = await call({
      method: 'POST',
      url: '/v1/resolve',
      token: engine,
      payload: { project: 'payments', images: Array(101).fill(entry) }
    })
    t.equal(tooMany.statusCode, 400)
    t.match(tooMany.json(), { code: 'VALIDATION_FAILED', errors: [{ path: 'body.images' }] })
    const hundred = await call({
      method: 'POST',
      url: '/v1/resolve',
      token: engine,
      payload: { project: 'payments', images: Array(100).fill(entry) }
    })
    t.equal(hundred.statusCode, 200)
    t.equal(hundred.json().results.length, 100)
    for (const payload of [
      { project: 'payments', images: [] },
      { images: [entry] },
      { project: 'payments', images: [{ image: 'tools' }] },
      { project: 'payments', images: [entry], extra: 1 }
    ]) {
      const bad = await call({ method: 'POST', url: '/v1/resolve', token: engine, payload })
      t.equal(bad.statusCode, 400, JSON.stringify(payload))
      t.equal(bad.json().code, 'VALIDATION_FAILED')
    }
  })

  await t.test('401 and 403', async (t) => {
    const payload = { project: 'payments', images: [{ image: 'tools', version: '1.latest' }] }
    t.equal((await call({ method: 'POST', url: '/v1/resolve', token: null, payload })).statusCode, 401)
    const reader = await token({ name: 'reader', scopes: ['images:read'] })
    t.match((await call({ method: 'POST', url: '/v1/resolve', token: reader, payload })).json(), {
      status: 403,
      code: 'INSUFFICIENT_SCOPE'
    })
    t.match((await call({ method: 'POST', url: '/v1/resolve', token: engine, payload: { ...payload, project: 'other' } })).json(), {
      status: 403,
      code: 'PROJECT_NOT_ALLOWED'
    })
  })
})
