import t from 'tap'
import { build } from '../helpers/app.js'
import { insertImage } from '../resolve/fixtures.js'

const URN = 'urn:uuid:0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55'

t.test('a uuid with a urn: prefix is a 400, never a failed cast', async (t) => {
  const { call } = await build(t)
  const requests = [
    { method: 'GET', url: `/v1/projects/payments-ci/credentials/${URN}` },
    { method: 'PATCH', url: `/v1/projects/payments-ci/credentials/${URN}`, payload: { description: 'x' } },
    { method: 'DELETE', url: `/v1/projects/payments-ci/credentials/${URN}` },
    { method: 'GET', url: `/v1/tokens/${URN}` },
    { method: 'DELETE', url: `/v1/tokens/${URN}` },
    { method: 'POST', url: '/v1/images', payload: { code: 'tools', name: 'Tools', ownerProject: 'payments-ci', credentialId: URN } }
  ] as const
  for (const request of requests) {
    const res = await call(request)
    t.equal(res.statusCode, 400, `${request.method} ${request.url}`)
    t.equal(res.json().code, 'VALIDATION_FAILED')
  }
})

t.test('a date-time no column can hold is a 400 and stores nothing', async (t) => {
  const { app, call } = await build(t)
  await insertImage(app.db, 'tools', { visibilityPublic: true })
  // Valid date-times to the schema: the offset carries the first past 9999, the second is a leap second.
  for (const expiresAt of ['9999-12-31T23:59:59-23:59', '2030-12-31T23:59:60Z']) {
    const res = await call({ method: 'POST', url: '/v1/tokens', payload: { name: 'odd-expiry', scopes: ['resolve'], expiresAt } })
    t.equal(res.statusCode, 400, expiresAt)
    t.match(res.json(), { code: 'INVALID_TIMESTAMP', field: 'expiresAt' })
  }
  t.notOk(await app.db.selectFrom('apiTokens').select('id').where('name', '=', 'odd-expiry').executeTakeFirst(), 'no token stored')
  t.equal((await call({ method: 'GET', url: '/v1/tokens' })).statusCode, 200, 'the token list still answers')
  const since = await call({ method: 'GET', url: '/v1/images/tools/resolutions?since=2030-12-31T23:59:60Z' })
  t.equal(since.statusCode, 400)
  t.match(since.json(), { code: 'INVALID_TIMESTAMP', field: 'since' })
})
