import t from 'tap'
import { build } from '../helpers/app.js'

const PROBLEM = 'application/problem+json; charset=utf-8'

t.test('every kind of error is an RFC 9457 problem with code and requestId', async (t) => {
  const { app, call, logs } = await build(t, { env: { BODY_LIMIT: '2048' } })
  app.get('/v1/test-failure', async () => {
    throw new Error('relation "secret_table" does not exist at SELECT password FROM users')
  })

  const expectProblem = async (
    name: string,
    res: Awaited<ReturnType<typeof call>>,
    status: number,
    code: string,
    detail: RegExp
  ): Promise<Record<string, unknown>> => {
    t.equal(res.statusCode, status, `${name}: status`)
    t.equal(res.headers['content-type'], PROBLEM, `${name}: media type`)
    const body = res.json<Record<string, unknown>>()
    t.match(
      body,
      {
        type: `urn:ci-image-store:problem:${code.toLowerCase().replaceAll('_', '-')}`,
        status,
        code,
        requestId: res.headers['x-request-id']
      },
      name
    )
    t.match(body.detail, detail, `${name}: detail`)
    t.type(body.title, 'string')
    t.type(body.instance, 'string')
    return body
  }

  const unknownProperty = await call({ method: 'POST', url: '/v1/tokens', payload: { name: 'x', scopes: ['resolve'], colour: 'red' } })
  const body = await expectProblem('unknown property', unknownProperty, 400, 'VALIDATION_FAILED', /body\.colour is not a known property/)
  t.same(body.errors, [{ path: 'body.colour', message: 'is not a known property; remove it' }])

  await expectProblem(
    'invalid enum',
    await call({ method: 'POST', url: '/v1/tokens', payload: { name: 'x', scopes: ['root'] } }),
    400,
    'VALIDATION_FAILED',
    /body\.scopes\.0/
  )
  await expectProblem(
    'unknown route',
    await call({ method: 'GET', url: '/v1/nothing-here' }),
    404,
    'ROUTE_NOT_FOUND',
    /No route GET \/v1\/nothing-here/
  )
  const wrongMethod = await call({ method: 'PUT', url: '/v1/tokens' })
  await expectProblem('wrong method', wrongMethod, 405, 'METHOD_NOT_ALLOWED', /PUT is not supported on \/v1\/tokens; use GET, HEAD, POST/)
  t.equal(wrongMethod.headers.allow, 'GET, HEAD, POST')
  await expectProblem(
    'body too large',
    await call({ method: 'POST', url: '/v1/tokens', payload: { name: 'x'.repeat(4000), scopes: ['resolve'] } }),
    413,
    'BODY_TOO_LARGE',
    /larger than this service accepts/
  )
  await expectProblem(
    'unsupported media type',
    await call({ method: 'POST', url: '/v1/tokens', payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    /application\/json/
  )
  await expectProblem(
    'text/plain is not JSON',
    await call({ method: 'POST', url: '/v1/tokens', payload: '{"name":"x"}', headers: { 'content-type': 'text/plain' } }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
    /application\/json/
  )
  await expectProblem(
    'malformed JSON',
    await call({ method: 'POST', url: '/v1/tokens', payload: '{"name": ', headers: { 'content-type': 'application/json' } }),
    400,
    'MALFORMED_JSON',
    /JSON/
  )
  await expectProblem(
    'an empty JSON body where one is required',
    await call({ method: 'POST', url: '/v1/tokens', payload: '', headers: { 'content-type': 'application/json' } }),
    400,
    'VALIDATION_FAILED',
    /body must be object/
  )
  const created = await call({ method: 'POST', url: '/v1/tokens', payload: { name: 'short-lived', scopes: ['resolve'] } })
  const revoke = await call({
    method: 'DELETE',
    url: `/v1/tokens/${created.json<{ id: string }>().id}`,
    payload: '',
    headers: { 'content-type': 'application/json' }
  })
  t.equal(revoke.statusCode, 204, 'curl -H "Content-Type: application/json" on a body-less action is fine')
  await expectProblem(
    'no token',
    await call({ method: 'GET', url: '/v1/tokens', token: null }),
    401,
    'AUTHENTICATION_REQUIRED',
    /Authorization: Bearer/
  )

  const failure = await expectProblem(
    'unexpected exception',
    await call({ method: 'GET', url: '/v1/test-failure' }),
    500,
    'INTERNAL_ERROR',
    /unexpected error/
  )
  t.notMatch(JSON.stringify(failure), /secret_table|SELECT|password|at /, 'a 500 leaks no SQL and no stack')
  t.ok(
    logs.some((line) => line.includes('secret_table') && line.includes('"level":50')),
    'the 500 is logged in full for operators'
  )

  const merge = await call({
    method: 'POST',
    url: '/v1/tokens',
    payload: JSON.stringify({ name: 'merge', scopes: ['resolve'] }),
    headers: { 'content-type': 'application/merge-patch+json' }
  })
  t.equal(merge.statusCode, 201, 'JSON variants (+json) are parsed as JSON')
})

t.test('request ids: honoured when valid, replaced when not, present in every log line of the request', async (t) => {
  const { call, logs } = await build(t)
  const echoed = await call({ method: 'GET', url: '/v1/whoami', headers: { 'x-request-id': 'job-42.step_7:a' } })
  t.equal(echoed.headers['x-request-id'], 'job-42.step_7:a')
  const lines = logs.filter((l) => l.includes('job-42.step_7:a'))
  t.ok(lines.length >= 2, 'request and response lines carry the id')
  for (const line of lines) t.equal(JSON.parse(line).requestId, 'job-42.step_7:a')

  const replaced = await call({ method: 'GET', url: '/v1/whoami', headers: { 'x-request-id': 'bad id\twith "quotes"' } })
  t.match(replaced.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const tooLong = await call({ method: 'GET', url: '/v1/whoami', headers: { 'x-request-id': 'a'.repeat(129) } })
  t.match(tooLong.headers['x-request-id'], /^[0-9a-f-]{36}$/)
})

t.test('secrets sent in a request never reach the logs', async (t) => {
  const { app, call, logs } = await build(t, { env: { LOG_LEVEL: 'trace' } })
  // A careless feature that logs whole objects holding secrets: redaction must still catch them.
  app.post('/v1/test-careless', async (request) => {
    request.log.info(
      {
        body: request.body,
        headers: request.headers,
        credential: { username: 'u', password: (request.body as { password: string }).password }
      },
      'careless'
    )
    return { ok: true }
  })
  const secret = 'cis_do-not-log-me-0123456789abcdefghij'
  await call({ method: 'POST', url: '/v1/test-careless', payload: { password: secret, nested: { token: secret } } })
  await call({ method: 'GET', url: '/v1/whoami', token: secret })
  await call({ method: 'POST', url: '/v1/tokens', token: secret, payload: { name: 'x', scopes: ['resolve'], password: secret } })
  await call({ method: 'POST', url: '/v1/tokens', payload: { name: 'x', scopes: ['resolve'], password: secret } })
  await call({ method: 'GET', url: '/v1/whoami', headers: { cookie: `session=${secret}` } })
  t.ok(logs.length > 4, 'requests were logged')
  t.notOk(
    logs.some((line) => line.includes(secret)),
    'the secret appears in no log line'
  )
  t.ok(
    logs.some((line) => line.includes('careless') && line.includes('[redacted]')),
    'secret fields were censored, the rest of the line kept'
  )
})
