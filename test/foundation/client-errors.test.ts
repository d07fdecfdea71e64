import t from 'tap'
import { ADMIN_TOKEN, build } from '../helpers/app.js'
import { listen, rawRequest, type RawAnswer } from './raw-http.js'
import { isDatabaseUnavailable } from '../../src/db/unavailable.js'

const PROBLEM = 'application/problem+json; charset=utf-8'

// What Node's parser and Fastify's router refuse before any route runs is a problem document too,
// with a stable code, and the connection is closed where the request cannot be trusted to end.
t.test('errors outside any route are problems on a real connection', async (t) => {
  const { app, logs } = await build(t)
  const port = await listen(app)
  const expectProblem = (name: string, res: RawAnswer, status: number, code: string, { close = true } = {}) => {
    t.equal(res.status, status, `${name}: status (${res.body})`)
    t.equal(res.headers['content-type'], PROBLEM, `${name}: media type`)
    const body = JSON.parse(res.body || '{}') as Record<string, unknown>
    t.match(
      body,
      {
        type: `urn:ci-image-store:problem:${code.toLowerCase().replaceAll('_', '-')}`,
        title: String,
        status,
        detail: String,
        code,
        requestId: res.headers['x-request-id']
      },
      name
    )
    t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/, `${name}: a request id`)
    if (close) {
      t.equal(res.headers.connection, 'close', `${name}: Connection: close`)
      t.ok(res.closed, `${name}: the connection is closed`)
    }
    return body
  }
  const host = 'Host: 127.0.0.1\r\n'

  const badUrl = expectProblem(
    'bad percent-encoding',
    await rawRequest(port, [`GET /v1/images/%E0%A4%A HTTP/1.1\r\n${host}Connection: close\r\n\r\n`]),
    400,
    'MALFORMED_URL'
  )
  t.equal(badUrl.instance, '/v1/images/%E0%A4%A')
  const long = expectProblem(
    'a 200-character path parameter',
    await rawRequest(port, [`GET /v1/images/${'a'.repeat(200)} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`]),
    414,
    'PATH_PARAMETER_TOO_LONG'
  )
  t.match(long.detail, /longer than 100 characters/)

  expectProblem('a backslash in the URL', await rawRequest(port, [`GET \\v1\\images HTTP/1.1\r\n${host}\r\n`]), 400, 'MALFORMED_REQUEST')
  expectProblem(
    'Transfer-Encoding and Content-Length together',
    await rawRequest(port, [
      `POST /v1/tokens HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n`
    ]),
    400,
    'MALFORMED_REQUEST'
  )
  const badHeader = expectProblem(
    'an invalid header name',
    await rawRequest(port, [`GET /healthz HTTP/1.1\r\n${host}Bad Header: x\r\n\r\n`]),
    400,
    'MALFORMED_REQUEST'
  )
  t.match(badHeader.detail, /not valid HTTP\/1\.1 \(Invalid header/)
  expectProblem(
    'headers over the limit',
    await rawRequest(port, [`GET /healthz HTTP/1.1\r\n${host}X-Big: ${'b'.repeat(20_000)}\r\n\r\n`]),
    431,
    'HEADERS_TOO_LARGE'
  )

  const noHost = expectProblem('HTTP/1.1 without Host', await rawRequest(port, ['GET /healthz HTTP/1.1\r\n\r\n']), 400, 'HOST_REQUIRED')
  t.equal(noHost.instance, '/healthz')
  const http10 = await rawRequest(port, ['GET /healthz HTTP/1.0\r\n\r\n'])
  t.equal(http10.status, 200, 'HTTP/1.0 needs no Host')
  const fine = await rawRequest(port, [`GET /healthz HTTP/1.1\r\n${host}Connection: close\r\n\r\n`])
  t.same([fine.status, fine.body], [200, '{"status":"ok"}'], 'a well-formed request on the same server is served')

  t.notOk(
    logs.some((l) => JSON.parse(l).level >= 50),
    'none of these is logged as a server error'
  )
  t.ok(
    logs.some((l) => l.includes('"code":"MALFORMED_REQUEST"') && l.includes('"level":30')),
    'each is logged at info with its code'
  )
})

t.test('a client that goes away in the middle of its body is logged at info, never as a database outage', async (t) => {
  const { app, logs } = await build(t)
  const port = await listen(app)
  const head = `POST /v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`
  await rawRequest(port, [head, '{"name":'], { pauseMs: 50, destroyAfterMs: 100, waitMs: 300 })
  for (let i = 0; i < 50 && !logs.some((l) => l.includes('client aborted the request')); i++) await new Promise((r) => setTimeout(r, 20))
  const lines = logs.map((l) => JSON.parse(l) as { level: number; msg: string; code?: string; err?: unknown })
  const aborted = lines.find((l) => l.msg === 'client aborted the request')
  t.ok(aborted, `the abort is logged (${logs.join('')})`)
  t.equal(aborted?.level, 30, 'at info')
  t.equal(aborted?.err, undefined, 'without an error')
  t.notOk(
    lines.some((l) => l.level >= 50),
    `no error line (${JSON.stringify(lines.filter((l) => l.level >= 50))})`
  )
  t.notOk(
    logs.some((l) => l.includes('DATABASE_UNAVAILABLE') || l.includes('"statusCode":503')),
    'not taken for the database'
  )
})

t.test("a request stream's reset is not the database's", async (t) => {
  const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET' })
  t.notOk(isDatabaseUnavailable(aborted), 'Node HTTP server: the client went away')
  const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read', errno: -104 })
  t.ok(isDatabaseUnavailable(reset), "pg's socket reset is still an outage")
})
