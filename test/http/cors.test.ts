import t from 'tap'
import { ConfigError } from '../../src/config.js'
import { parseCorsOrigins } from '../../src/http/cors.js'
import { build } from '../helpers/app.js'

const UI = 'https://ui.example.com'
const OTHER = 'https://evil.example.net'
function thrown(action: () => unknown): Error | undefined {
  try {
    action()
  } catch (error) {
    return error as Error
  }
  return undefined
}

const preflight = (origin: string, method = 'PATCH') => ({
  method: 'OPTIONS' as const,
  url: '/v1/images/node-20',
  token: null,
  headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization, if-match, content-type' }
})

t.test('CORS_ORIGINS: each entry must be an origin exactly as a browser sends it', async (t) => {
  t.same(parseCorsOrigins(''), [])
  t.same(parseCorsOrigins(` ${UI} , http://127.0.0.1:5173`), [UI, 'http://127.0.0.1:5173'])
  for (const bad of [
    'ui.example.com',
    'https://ui.example.com/',
    'https://UI.example.com',
    'https://ui.example.com/app',
    '*',
    'null',
    'ftp://ui.example.com'
  ]) {
    const error = thrown(() => parseCorsOrigins(`${UI},${bad}`))
    t.type(error, ConfigError, bad)
    t.match(error?.message, `Invalid configuration: CORS_ORIGINS contains ${JSON.stringify(bad)}`, `${bad}: named with the setting`)
  }
  const atStart = await build(t, { env: { CORS_ORIGINS: 'https://ui.example.com/' } }).then(
    () => undefined,
    (error: unknown) => error
  )
  t.type(atStart, ConfigError, 'the app refuses to start')
})

t.test('a listed origin: preflight 204 on any route, before authentication and rate limits', async (t) => {
  const { call } = await build(t, { env: { CORS_ORIGINS: `${UI},http://127.0.0.1:5173`, RATE_LIMIT_READ_PER_MINUTE: '1' } })
  for (const url of ['/v1/images/node-20', '/v1/tokens?limit=5&unknown=1', '/v1/images/node-20/resolve', '/v1/resolve']) {
    const res = await call({ ...preflight(UI), url })
    t.equal(res.statusCode, 204, url)
    t.equal(res.body, '', 'no body')
    t.equal(res.headers['access-control-allow-origin'], UI, 'the origin, not *')
    t.match(res.headers['access-control-allow-methods'], /PATCH/)
    for (const header of ['Authorization', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'Content-Type'])
      t.match(res.headers['access-control-allow-headers'], header)
    t.equal(res.headers['access-control-max-age'], '600')
    t.match(res.headers.vary, /Origin/)
    t.ok(res.headers['x-request-id'], 'carries a request id like every answer')
  }
  // The read budget of one is spent by the first GET; preflights never counted against it.
  for (let i = 0; i < 3; i++) t.equal((await call(preflight(UI, 'GET'))).statusCode, 204)
  t.equal((await call({ method: 'GET', url: '/v1/tokens', headers: { origin: UI } })).statusCode, 200)
  const limited = await call({ method: 'GET', url: '/v1/tokens', headers: { origin: UI } })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['access-control-allow-origin'], UI, 'a page can read its 429')
  t.match(limited.headers['access-control-expose-headers'], /Retry-After.*RateLimit-Reset/)
})

t.test('a listed origin: actual requests carry the CORS headers a page needs', async (t) => {
  const { call } = await build(t, { env: { CORS_ORIGINS: UI } })
  const created = await call({
    method: 'POST',
    url: '/v1/images',
    headers: { origin: UI },
    payload: { code: 'node-20', name: 'Node.js 20', ownerProject: 'payments-ci' }
  })
  t.equal(created.statusCode, 201)
  t.equal(created.headers['access-control-allow-origin'], UI)
  t.match(created.headers.vary, /Origin/)
  const exposed = String(created.headers['access-control-expose-headers']).split(', ')
  for (const header of [
    'ETag',
    'Location',
    'Retry-After',
    'RateLimit-Limit',
    'RateLimit-Remaining',
    'RateLimit-Reset',
    'X-Request-Id',
    'Warning'
  ])
    t.ok(exposed.includes(header), `exposes ${header}`)
  t.notOk(created.headers['access-control-allow-credentials'], 'bearer tokens, not cookies')

  const noToken = await call({ method: 'GET', url: '/v1/images', token: null, headers: { origin: UI } })
  t.equal(noToken.statusCode, 401)
  t.equal(noToken.headers['access-control-allow-origin'], UI, 'a page can read why it was refused')
})

t.test('an origin not listed gets no CORS header, and its preflight is refused', async (t) => {
  const { call } = await build(t, { env: { CORS_ORIGINS: UI } })
  const res = await call(preflight(OTHER))
  t.equal(res.statusCode, 405)
  t.match(res.json(), { code: 'METHOD_NOT_ALLOWED' })
  t.notOk(res.headers['access-control-allow-origin'])
  t.notOk(res.headers['access-control-allow-methods'])
  t.notOk(res.headers['access-control-allow-headers'])
  const get = await call({ method: 'GET', url: '/v1/images', headers: { origin: OTHER } })
  t.equal(get.statusCode, 200, 'the server answers; the browser withholds it from the page')
  t.notOk(get.headers['access-control-allow-origin'])
  t.notOk(get.headers['access-control-expose-headers'])
  const noOrigin = await call({ method: 'GET', url: '/v1/images' })
  t.notOk(noOrigin.headers['access-control-allow-origin'], 'a client that is no browser sees no CORS either')
  t.equal((await call({ method: 'GET', url: '/nope', token: null })).statusCode, 404, 'unknown paths stay 404')
  t.equal((await call({ ...preflight(UI), url: '/nope' })).statusCode, 204, 'the preflight does not know which paths exist')
})

t.test('no CORS_ORIGINS: no CORS at all, OPTIONS stays 405', async (t) => {
  const { call } = await build(t)
  const res = await call(preflight(UI))
  t.equal(res.statusCode, 405)
  t.match(res.json(), { code: 'METHOD_NOT_ALLOWED', detail: /OPTIONS is not supported on \/v1\/images\/node-20/ })
  t.notOk(res.headers['access-control-allow-origin'])
  const get = await call({ method: 'GET', url: '/v1/images', headers: { origin: UI } })
  t.notOk(get.headers['access-control-allow-origin'])
  t.notMatch(String(get.headers.vary ?? ''), /Origin/)
  t.equal((await call({ method: 'GET', url: '/nope', token: null })).statusCode, 404)
})
