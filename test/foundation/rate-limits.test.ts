import { randomUUID } from 'node:crypto'
import t from 'tap'
import { ConfigError } from '../../src/config.js'
import { build } from '../helpers/app.js'
import { startTcpProxy } from '../resolve/helpers/tcp-proxy.js'

const WRONG = 'cis_wrong-token-0123456789abcdefghijklmnopqrstuv'
const resolve = { method: 'GET', url: '/v1/images/nope/resolve?version=1.latest&project=web' } as const
const write = { method: 'POST', url: '/v1/tokens', payload: {} } as const

t.test('a 401 flood from one address is refused with 429 before its tokens are checked', async (t) => {
  const { call } = await build(t, { env: { RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '300' } })
  for (let i = 0; i < 300; i++) {
    const res = await call({ method: 'GET', url: '/v1/tokens', token: `${WRONG}${i}` })
    if (res.statusCode !== 401) t.fail(`request ${i + 1}: ${res.statusCode}`)
  }
  const refused = await call({ method: 'GET', url: '/v1/tokens', token: `${WRONG}x` })
  t.equal(refused.statusCode, 429)
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  t.match(refused.json(), { status: 429, code: 'RATE_LIMITED', detail: /RATE_LIMIT_AUTH_FAILURES_PER_MINUTE=300/ })
  t.ok(Number(refused.headers['retry-after']) >= 1 && Number(refused.headers['retry-after']) <= 60, 'Retry-After in seconds')
  t.equal(refused.headers['ratelimit-limit'], '300')
  t.equal(refused.headers['ratelimit-remaining'], '0')
  t.equal((await call({ method: 'GET', url: '/v1/tokens' })).statusCode, 429, 'even a valid token from that address waits')
  t.equal((await call({ method: 'GET', url: '/healthz', token: null })).statusCode, 200, 'probes are never limited')
})

t.test('behind a trusted proxy the forwarded address is counted; another address is unaffected', async (t) => {
  const { call } = await build(t, { env: { TRUST_PROXY: 'true', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' } })
  const guesser = { 'x-forwarded-for': '203.0.113.7' }
  for (let i = 0; i < 3; i++) t.equal((await call({ ...resolve, token: `${WRONG}${i}`, headers: guesser })).statusCode, 401)
  t.equal((await call({ ...resolve, token: `${WRONG}9`, headers: guesser })).statusCode, 429)
  const other = await call({ method: 'GET', url: '/v1/tokens', headers: { 'x-forwarded-for': '198.51.100.1' } })
  t.equal(other.statusCode, 200, 'a valid token from another address')
})

t.test('each token has its own budget, and each class of route its own', async (t) => {
  const { call, token } = await build(t, { env: { RATE_LIMIT_WRITE_PER_MINUTE: '3', RATE_LIMIT_RESOLVE_PER_MINUTE: '5' } })
  const a = await token({ name: 'a', scopes: ['images:read', 'resolve'] })
  const b = await token({ name: 'b', scopes: ['images:read', 'resolve'] })
  for (let i = 0; i < 3; i++) t.equal((await call({ ...write, token: a })).statusCode, 400, 'within the write budget')
  const limited = await call({ ...write, token: a })
  t.equal(limited.statusCode, 429)
  t.match(limited.json(), { code: 'RATE_LIMITED', detail: /RATE_LIMIT_WRITE_PER_MINUTE=3/ })
  t.equal((await call({ ...write, token: b })).statusCode, 400, 'another token still writes')
  t.equal((await call({ ...resolve, token: a })).statusCode, 404, 'the write limit does not stop resolve')
  for (let i = 0; i < 4; i++) await call({ ...resolve, token: a })
  t.equal((await call({ ...resolve, token: a })).statusCode, 429, 'resolve has its own budget')
  t.equal((await call({ method: 'GET', url: '/v1/tokens/00000000-0000-4000-8000-000000000000', token: a })).statusCode, 403, 'reads too')
})

t.test('RATE_LIMIT_ENABLED=false lets everything through', async (t) => {
  const { call } = await build(t, { env: { RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1' } })
  for (let i = 0; i < 3; i++) t.equal((await call({ ...resolve, token: `${WRONG}${i}` })).statusCode, 401)
})

t.test('with REDIS_URL two instances share the counters', async (t) => {
  const env = { REDIS_URL: 'redis://127.0.0.1:6379', TRUST_PROXY: 'true', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '4' }
  const one = await build(t, { env })
  const two = await build(t, { env, databaseUrl: one.databaseUrl })
  // A fresh address per run: the counters outlive the test in Redis for a minute.
  const guesser = { 'x-forwarded-for': `10.${[1, 2, 3].map(() => Math.floor(Math.random() * 250)).join('.')}` }
  for (let i = 0; i < 2; i++) t.equal((await one.call({ ...resolve, token: `${WRONG}${i}`, headers: guesser })).statusCode, 401)
  for (let i = 2; i < 4; i++) t.equal((await two.call({ ...resolve, token: `${WRONG}${i}`, headers: guesser })).statusCode, 401)
  t.equal((await one.call({ ...resolve, token: `${WRONG}x`, headers: guesser })).statusCode, 429, 'four failures over two instances')
  t.equal((await two.call({ ...resolve, token: `${WRONG}y`, headers: guesser })).statusCode, 429)

  const shared = await one.token({ name: `w-${randomUUID()}`, scopes: ['resolve'] })
  const writes = { ...env, RATE_LIMIT_WRITE_PER_MINUTE: '2' }
  const three = await build(t, { env: writes, databaseUrl: one.databaseUrl })
  const four = await build(t, { env: writes, databaseUrl: one.databaseUrl })
  t.equal((await three.call({ ...write, token: shared })).statusCode, 400)
  t.equal((await four.call({ ...write, token: shared })).statusCode, 400)
  t.equal((await three.call({ ...write, token: shared })).statusCode, 429, "the token's write budget is shared")
})

t.test('Redis unreachable at start: one line naming REDIS_URL, no secret', async (t) => {
  const error = await build(t, { env: { REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1' } }).then(
    () => undefined,
    (e: unknown) => e
  )
  t.type(error, ConfigError)
  t.match((error as Error).message, /^Cannot reach Redis at REDIS_URL \(127\.0\.0\.1:1\): .*unset REDIS_URL/)
  t.notMatch((error as Error).message, /hunter2|\n/)
})

t.test('Redis lost while running: requests go through uncounted, with one warning', async (t) => {
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 6379 })
  t.teardown(() => proxy.close())
  const { call, logs } = await build(t, { env: { REDIS_URL: `redis://127.0.0.1:${proxy.port}`, RATE_LIMIT_WRITE_PER_MINUTE: '1' } })
  // The budget of one write is used up while Redis is there (and the suite's contract check is
  // compiled, outside the timed part): after the cut, a counted write would be a 429.
  t.equal((await call(write)).statusCode, 400, 'the one write of the budget')
  t.equal((await call({ ...resolve, token: WRONG })).statusCode, 401)
  await proxy.cut('refuse')
  await new Promise((resolve) => setTimeout(resolve, 200))
  const started = Date.now()
  for (let i = 0; i < 3; i++) t.equal((await call(write)).statusCode, 400, 'answered, not refused or failed')
  t.equal((await call({ ...resolve, token: WRONG })).statusCode, 401)
  // Waiting for Redis would mean its connect timeout (10 s) per request; the bound leaves room for a
  // loaded two-core machine.
  t.ok(Date.now() - started < 3000, `without waiting for Redis (${Date.now() - started} ms for four requests)`)
  t.equal(logs.filter((l) => l.includes('rate limits: Redis unreachable')).length, 1, 'one warning, not one per request')
})
