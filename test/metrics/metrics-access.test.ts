import t from 'tap'
import { build } from '../helpers/app.js'

const METRICS_TOKEN = 'scrape-token-0123456789abcdefghijklmnopqrstuv'

t.test('/metrics needs METRICS_TOKEN or an admin token unless METRICS_PUBLIC', async (t) => {
  const test = await build(t, { env: { METRICS_TOKEN } })
  const get = (token?: string | null, headers?: Record<string, string>) =>
    test.call({ method: 'GET', url: '/metrics', ...(token !== undefined ? { token } : {}), ...(headers ? { headers } : {}) })

  const admin = await get()
  t.equal(admin.statusCode, 200, 'an admin token reads it')
  t.match(admin.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  t.match(admin.body, /# TYPE ci_image_store_http_request_duration_seconds histogram/)

  t.equal((await get(METRICS_TOKEN)).statusCode, 200, 'METRICS_TOKEN reads it')

  const none = await get(null)
  t.equal(none.statusCode, 401)
  t.match(none.headers['content-type'], /^application\/problem\+json/)
  t.match(none.json(), { status: 401, code: 'AUTHENTICATION_REQUIRED' })
  t.match(none.headers['www-authenticate'], /^Bearer/)

  const wrong = await get(`${METRICS_TOKEN}x`)
  t.equal(wrong.statusCode, 401, 'a wrong token is refused')
  t.match(wrong.json(), { status: 401, code: 'INVALID_TOKEN' })
  t.notMatch(wrong.body, METRICS_TOKEN, 'the secret is not echoed')

  t.match((await get(null, { authorization: 'Basic c2NyYXBlOnRva2Vu' })).json(), { status: 401, code: 'INVALID_AUTHORIZATION_HEADER' })

  const reader = await test.token({ name: 'reader', scopes: ['images:read'] })
  const forbidden = await get(reader)
  t.equal(forbidden.statusCode, 403, 'a valid token without admin is forbidden')
  t.match(forbidden.json(), { status: 403, code: 'INSUFFICIENT_SCOPE', requiredScope: 'admin' })
})

t.test('without METRICS_TOKEN only admin tokens read it', async (t) => {
  const test = await build(t)
  t.equal((await test.call({ method: 'GET', url: '/metrics' })).statusCode, 200)
  const scrape = await test.call({ method: 'GET', url: '/metrics', token: METRICS_TOKEN })
  t.equal(scrape.statusCode, 401)
})

t.test('METRICS_PUBLIC=true opens it to anyone', async (t) => {
  const test = await build(t, { env: { METRICS_PUBLIC: 'true' } })
  const res = await test.call({ method: 'GET', url: '/metrics', token: null })
  t.equal(res.statusCode, 200)
  t.match(res.body, /ci_image_store_ready/)
})

t.test('an address that keeps failing is refused before its token is checked', async (t) => {
  const test = await build(t, { env: { METRICS_TOKEN, RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' } })
  const statuses: number[] = []
  for (let i = 0; i < 5; i++)
    statuses.push((await test.call({ method: 'GET', url: '/metrics', token: `guess-${i}-0123456789abcdefghijklmnop` })).statusCode)
  t.same(statuses, [401, 401, 401, 429, 429])
  const refused = await test.call({ method: 'GET', url: '/metrics', token: METRICS_TOKEN })
  t.equal(refused.statusCode, 429, 'even the right token waits: guessing is not rewarded')
  t.match(refused.json(), { code: 'RATE_LIMITED' })
  t.ok(refused.headers['retry-after'])
})
