import t from 'tap'
import { ADMIN_TOKEN, build } from '../helpers/app.js'
import { loadConfig } from '../../src/config.js'
import { listen, rawRequest } from './raw-http.js'

const PROBLEM = 'application/problem+json; charset=utf-8'
const LIMITS = { REQUEST_TIMEOUT_MS: '600', HEADERS_TIMEOUT_MS: '300' }

t.test('a client that sends half a body is answered 408 and cut off', async (t) => {
  const { app, logs } = await build(t, { env: LIMITS })
  const port = await listen(app)
  const head = `POST /v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`
  const res = await rawRequest(port, [head, '{"name":"slow",'], { waitMs: 5000 })
  t.equal(res.status, 408, res.body)
  t.equal(res.headers['content-type'], PROBLEM)
  t.equal(res.headers.connection, 'close')
  t.ok(res.closed, 'the connection is closed')
  t.ok(res.elapsed >= 550 && res.elapsed < 2500, `after the request time limit (${res.elapsed} ms)`)
  t.match(JSON.parse(res.body), {
    type: 'urn:ci-image-store:problem:request-timeout',
    title: 'Request Timeout',
    status: 408,
    detail: /did not arrive in time/,
    instance: '/v1/tokens',
    code: 'REQUEST_TIMEOUT',
    requestId: res.headers['x-request-id']
  })
  for (let i = 0; i < 50 && !logs.some((l) => l.includes('timed out before it was complete')); i++)
    await new Promise((r) => setTimeout(r, 20))
  const lines = logs.map((l) => JSON.parse(l) as { level: number; msg: string })
  t.ok(
    lines.some((l) => l.level === 30 && l.msg === 'the request timed out before it was complete'),
    'the request is logged at info as timed out'
  )
  t.notOk(
    lines.some((l) => l.level >= 50),
    'and not as a server error'
  )
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/tokens', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json().items.length,
    1,
    'no token was created'
  )
})

t.test('a client that never finishes its headers is answered 408 after the headers time limit', async (t) => {
  const { app } = await build(t, { env: LIMITS })
  const port = await listen(app)
  const res = await rawRequest(port, ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'], { waitMs: 5000 })
  t.equal(res.status, 408, res.body)
  t.match(JSON.parse(res.body), { status: 408, code: 'REQUEST_TIMEOUT' })
  t.ok(res.closed)
  t.ok(res.elapsed >= 250 && res.elapsed < 2000, `after the headers time limit (${res.elapsed} ms)`)
})

t.test('a request sent in time is served, also in pieces', async (t) => {
  const { app } = await build(t, { env: LIMITS })
  const port = await listen(app)
  const body = '{"name":"prompt","scopes":["resolve"]}'
  const head = `POST /v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
  const res = await rawRequest(port, [head, body.slice(0, 10), body.slice(10)], { pauseMs: 100 })
  t.equal(res.status, 201, res.body)
})

t.test('time limits are settings with defaults, and the headers limit is part of the request limit', async (t) => {
  const defaults = loadConfig({})
  t.same([defaults.REQUEST_TIMEOUT_MS, defaults.HEADERS_TIMEOUT_MS, defaults.KEEP_ALIVE_TIMEOUT_MS], [30_000, 10_000, 72_000])
  t.throws(
    () => loadConfig({ REQUEST_TIMEOUT_MS: '5000', HEADERS_TIMEOUT_MS: '10000' }),
    /HEADERS_TIMEOUT_MS=10000 must not exceed REQUEST_TIMEOUT_MS=5000/
  )
  t.throws(() => loadConfig({ REQUEST_TIMEOUT_MS: '0' }), /REQUEST_TIMEOUT_MS="0"/)
})
