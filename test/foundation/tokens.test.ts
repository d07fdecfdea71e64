import t from 'tap'
import { build, ADMIN_TOKEN } from '../helpers/app.js'
import { hashToken } from '../../src/tokens/token-secret.js'
import { insertToken } from '../../src/tokens/tokens.repository.js'

t.test('admin creates a token; its secret is shown once and stored only as a hash', async (t) => {
  const { app, call } = await build(t)
  const res = await call({
    method: 'POST',
    url: '/v1/tokens',
    payload: { name: 'pipeline-engine', scopes: ['resolve'], projects: ['payments'] }
  })
  t.equal(res.statusCode, 201)
  const created = res.json<{ id: string; token: string; prefix: string; scopes: string[]; projects: string[] }>()
  t.equal(res.headers.location, `/v1/tokens/${created.id}`)
  t.match(created.token, /^cis_[A-Za-z0-9_-]{43}$/, '256 random bits, base64url')
  t.equal(created.prefix, created.token.slice(0, 10))
  t.same(created.projects, ['payments'])

  const row = await app.db.selectFrom('apiTokens').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow()
  t.equal(row.tokenHash, hashToken(created.token))
  t.notOk(JSON.stringify(row).includes(created.token), 'the token itself is not stored')

  const got = await call({ method: 'GET', url: `/v1/tokens/${created.id}` })
  t.equal(got.statusCode, 200)
  t.notOk(got.body.includes(created.token), 'reading a token never shows its secret')
  t.equal(got.json<{ name: string }>().name, 'pipeline-engine')

  const who = await call({ method: 'GET', url: '/v1/whoami', token: created.token })
  t.same(who.json(), { tokenId: created.id, name: 'pipeline-engine', scopes: ['resolve'], projects: ['payments'], expiresAt: null })
})

t.test('listing is keyset-paged, newest first, and never shows secrets', async (t) => {
  const { call } = await build(t)
  const secrets: string[] = []
  for (let i = 0; i < 5; i++) {
    const res = await call({ method: 'POST', url: '/v1/tokens', payload: { name: `t${i}`, scopes: ['images:read'] } })
    secrets.push(res.json<{ token: string }>().token)
  }
  const names: string[] = []
  let cursor: string | null = null
  do {
    const res = await call({ method: 'GET', url: `/v1/tokens?limit=2${cursor ? `&cursor=${cursor}` : ''}` })
    t.equal(res.statusCode, 200)
    for (const s of secrets) t.notOk(res.body.includes(s))
    const page = res.json<{ items: { name: string }[]; nextCursor: string | null }>()
    t.ok(page.items.length <= 2)
    names.push(...page.items.map((i) => i.name))
    cursor = page.nextCursor
  } while (cursor)
  t.same(names, ['t4', 't3', 't2', 't1', 't0', 'admin'])

  const bad = await call({ method: 'GET', url: '/v1/tokens?cursor=not-a-cursor' })
  t.equal(bad.statusCode, 400)
  t.equal(bad.json<{ code: string }>().code, 'INVALID_CURSOR')
  const forged = await call({ method: 'GET', url: `/v1/tokens?cursor=${Buffer.from('["x", 1]').toString('base64url')}` })
  t.equal(forged.statusCode, 400)
})

t.test('401 for missing, malformed, unknown, expired and revoked tokens, with a Bearer challenge', async (t) => {
  const { app, call, token } = await build(t)
  const check = async (name: string, tok: string | null, headers: Record<string, string>, code: string) => {
    const res = await call({ method: 'GET', url: '/v1/whoami', token: tok, headers })
    t.equal(res.statusCode, 401, name)
    t.equal(res.json<{ code: string }>().code, code, name)
    t.match(res.headers['www-authenticate'], /^Bearer realm="ci-image-store"/, name)
  }
  await check('missing', null, {}, 'AUTHENTICATION_REQUIRED')
  await check('basic scheme', null, { authorization: 'Basic dXNlcjpwYXNz' }, 'INVALID_AUTHORIZATION_HEADER')
  await check('unknown', 'cis_unknown-token-value-000000000000000000000', {}, 'INVALID_TOKEN')

  const expired = 'cis_expired-token-value-00000000000000000000'
  await insertToken(app.db, {
    name: 'old',
    scopes: ['admin'],
    projects: null,
    tokenHash: hashToken(expired),
    tokenPrefix: 'cis_expire',
    createdBy: 'test',
    expiresAt: new Date(Date.now() - 1000)
  })
  await check('expired', expired, {}, 'TOKEN_EXPIRED')

  const revocable = await token({ name: 'leaver', scopes: ['images:read'] })
  const whoami = await call({ method: 'GET', url: '/v1/whoami', token: revocable })
  t.equal(whoami.statusCode, 200, 'works before revocation (and is now cached)')
  const id = whoami.json<{ tokenId: string }>().tokenId
  t.equal((await call({ method: 'DELETE', url: `/v1/tokens/${id}` })).statusCode, 204)
  await check('revoked takes effect at once', revocable, {}, 'TOKEN_REVOKED')
  t.equal((await call({ method: 'DELETE', url: `/v1/tokens/${id}` })).statusCode, 204, 'revoking twice is harmless')
  const row = await app.db.selectFrom('apiTokens').select('revokedAt').where('id', '=', id).executeTakeFirstOrThrow()
  t.type(row.revokedAt, Date)
})

t.test('403 for a valid token without the scope; project limits', async (t) => {
  const { call, token } = await build(t)
  const reader = await token({ name: 'reader', scopes: ['images:read'], projects: ['alpha'] })
  const res = await call({ method: 'POST', url: '/v1/tokens', token: reader, payload: { name: 'x', scopes: ['admin'] } })
  t.equal(res.statusCode, 403)
  t.match(res.json(), {
    code: 'INSUFFICIENT_SCOPE',
    requiredScope: 'admin',
    detail: /needs the "admin" scope; token "reader" has images:read/
  })
  t.equal(res.headers['www-authenticate'], undefined, '403 carries no challenge')
  t.equal((await call({ method: 'GET', url: '/v1/tokens', token: reader })).statusCode, 403)
})

t.test('bad token requests change nothing', async (t) => {
  const { app, call } = await build(t)
  const before = await app.db.selectFrom('apiTokens').select('id').execute()
  const cases: [unknown, number, string][] = [
    [{ name: 'x', scopes: [] }, 400, 'VALIDATION_FAILED'],
    [{ name: '', scopes: ['resolve'] }, 400, 'VALIDATION_FAILED'],
    [{ name: 'x', scopes: ['resolve', 'resolve'] }, 400, 'VALIDATION_FAILED'],
    [{ name: 'x', scopes: ['resolve'], projects: ['Not_Valid!'] }, 400, 'VALIDATION_FAILED'],
    [{ name: 'x', scopes: ['resolve'], expiresAt: 'tomorrow' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'x', scopes: ['resolve'], expiresAt: '2001-01-01T00:00:00Z' }, 422, 'EXPIRY_IN_PAST']
  ]
  for (const [payload, status, code] of cases) {
    const res = await call({ method: 'POST', url: '/v1/tokens', payload })
    t.equal(res.statusCode, status, JSON.stringify(payload))
    t.equal(res.json<{ code: string }>().code, code)
  }
  t.equal((await call({ method: 'GET', url: '/v1/tokens/not-a-uuid' })).statusCode, 400)
  const missing = await call({ method: 'DELETE', url: '/v1/tokens/00000000-0000-4000-8000-000000000000' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json<{ code: string }>().code, 'TOKEN_NOT_FOUND')
  const after = await app.db.selectFrom('apiTokens').select('id').execute()
  t.equal(after.length, before.length, 'no token was created')
})

t.test('last use is recorded', async (t) => {
  const { app, call } = await build(t)
  await call({ method: 'GET', url: '/v1/whoami', token: ADMIN_TOKEN })
  // The write happens off the request path; give it a moment.
  let row
  for (let i = 0; i < 50; i++) {
    row = await app.db
      .selectFrom('apiTokens')
      .select('lastUsedAt')
      .where('tokenHash', '=', hashToken(ADMIN_TOKEN))
      .executeTakeFirstOrThrow()
    if (row.lastUsedAt) break
    await new Promise((r) => setTimeout(r, 20))
  }
  t.type(row?.lastUsedAt, Date)
})
