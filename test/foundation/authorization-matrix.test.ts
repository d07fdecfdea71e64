// Every operation of the committed contract × every kind of token × a private and a public image.
// The expected outcome of each cell is written down in EXPECTED below; an operation the contract
// gains without rows here fails the test, so nobody adds a route without deciding who may call it.
//
// Requests that pass authorization are built to end in a business refusal (409, 412) instead of a
// change wherever a success would destroy the fixture, so the same fixture serves every cell and
// "ok" means "authorized": any answer but 401, an authorization 403 or a visibility 404.
import t from 'tap'
import { readFileSync } from 'node:fs'
import pg from 'pg'
import type { LightMyRequestResponse } from 'fastify'
import { ADMIN_TOKEN, build, type CallOptions, type TestApp } from '../helpers/app.js'

const KINDS = ['admin', 'owner', 'sameName', 'debug', 'resolve', 'pull', 'read', 'expired', 'revoked', 'malformed'] as const
type Kind = (typeof KINDS)[number]
type Outcome = 'ok' | '401' | '403' | '404'
type Visibility = 'private' | 'public'

// One line per operation: the outcomes for the kinds in the order of KINDS, for the private image
// and, after the bar, for the public one.
//   admin     ADMIN_TOKEN (every project)
//   owner     "pub-a": images:read/write, credentials:write, resolve for proj-a and proj-a-debug
//   sameName  "pub-a" too, the same scopes, for proj-b: a name is a label, never an identity
//   debug     the same scopes for the debug project proj-a-debug only
//   resolve   resolve for the consumer project web;  pull: resolve + pull-secrets for web
//   read      images:read for proj-a;  expired, revoked: owner-like tokens;  malformed: Basic header
const EXPECTED: Record<string, string> = {
  //                  admin owner sameN debug resol pull  read  expir revok malf    admin owner sameN debug resol pull  read  expir revok malf
  getHealth:
    '        ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    | ok    ok    ok    ok    ok    ok    ok    ok    ok    ok',
  getReadiness:
    '     ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    | ok    ok    ok    ok    ok    ok    ok    ok    ok    ok',
  getMetrics:
    '       ok    403   403   403   403   403   403   401   401   401   | ok    403   403   403   403   403   403   401   401   401',
  whoAmI:
    '           ok    ok    ok    ok    ok    ok    ok    401   401   401   | ok    ok    ok    ok    ok    ok    ok    401   401   401',
  createToken:
    '      ok    403   403   403   403   403   403   401   401   401   | ok    403   403   403   403   403   403   401   401   401',
  listTokens:
    '       ok    403   403   403   403   403   403   401   401   401   | ok    403   403   403   403   403   403   401   401   401',
  getToken:
    '         ok    403   403   403   403   403   403   401   401   401   | ok    403   403   403   403   403   403   401   401   401',
  revokeToken:
    '      ok    403   403   403   403   403   403   401   401   401   | ok    403   403   403   403   403   403   401   401   401',
  createCredential:
    ' ok    ok    403   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  listCredentials:
    '  ok    ok    403   403   403   403   ok    401   401   401   | ok    ok    403   403   403   403   ok    401   401   401',
  getCredential:
    '    ok    ok    403   403   403   403   ok    401   401   401   | ok    ok    403   403   403   403   ok    401   401   401',
  updateCredential:
    ' ok    ok    403   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  deleteCredential:
    ' ok    ok    403   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  createImage:
    '      ok    ok    403   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  listImages:
    '       ok    ok    ok    ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  getImage:
    '         ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  updateImage:
    '      ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  deleteImage:
    '      ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  listEvents:
    '       ok    ok    ok    ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  listImageEvents:
    '  ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  submitVersion:
    '    ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  listVersions:
    '     ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  getVersion:
    '       ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  recheckVersion:
    '   ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  releaseVersion:
    '   ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  cancelVersion:
    '    ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  withdrawVersion:
    '  ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  verifyVersion:
    '    ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  // Only admin of these kinds holds images:approve: everyone else is refused the scope (the approvals
  // test has the approver projects' tokens).
  approveVersion:
    '  ok    403   403   403   403   403   403   401   401   401   | ok    403   403   403   403   403   403   401   401   401',
  rejectVersion:
    '  ok    403   403   403   403   403   403   401   401   401   | ok    403   403   403   403   403   403   401   401   401',
  getVersionImpact:
    '  ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  getRollout: '  ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  listRollouts: '  ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  advanceRollout:
    '  ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  pauseRollout: '  ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  resumeRollout:
    '  ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  abortRollout: '  ok    ok    404   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  resolveVersion:
    '   ok    ok    404   ok    404   404   403   401   401   401   | ok    ok    ok    ok    ok    ok    403   401   401   401',
  resolveBatch:
    '     ok    ok    404   ok    404   404   403   401   401   401   | ok    ok    ok    ok    ok    ok    403   401   401   401',
  explainResolution:
    '  ok    ok    404   ok    404   404   ok    401   401   401   | ok    ok    ok    ok    ok    ok    ok    401   401   401',
  listResolutions:
    '  ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  getVersionUsage:
    '  ok    ok    404   ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  // Webhooks do not depend on the image's visibility: the subscription of proj-a is its publishers'.
  createWebhook:
    '  ok    ok    403   403   403   403   403   401   401   401   | ok    ok    403   403   403   403   403   401   401   401',
  listWebhooks: '  ok    ok    ok    ok    403   403   ok    401   401   401   | ok    ok    ok    ok    403   403   ok    401   401   401',
  getWebhook: '  ok    ok    404   404   403   403   ok    401   401   401   | ok    ok    404   404   403   403   ok    401   401   401',
  updateWebhook:
    '  ok    ok    404   404   403   403   403   401   401   401   | ok    ok    404   404   403   403   403   401   401   401',
  deleteWebhook:
    '  ok    ok    404   404   403   403   403   401   401   401   | ok    ok    404   404   403   403   403   401   401   401',
  rotateWebhookSecret:
    '  ok    ok    404   404   403   403   403   401   401   401   | ok    ok    404   404   403   403   403   401   401   401',
  listWebhookDeliveries:
    '  ok    ok    404   404   403   403   ok    401   401   401   | ok    ok    404   404   403   403   ok    401   401   401',
  getWebhookDelivery:
    '  ok    ok    404   404   403   403   ok    401   401   401   | ok    ok    404   404   403   403   ok    401   401   401',
  redeliverWebhook:
    '  ok    ok    404   404   403   403   403   401   401   401   | ok    ok    404   404   403   403   403   401   401   401'
}

function expected(operationId: string, kind: Kind, visibility: Visibility): Outcome | undefined {
  const row = EXPECTED[operationId]
  if (!row) return undefined
  const [privateCells, publicCells] = row.split('|').map((half) => half.trim().split(/\s+/))
  return ((visibility === 'private' ? privateCells : publicCells)?.[KINDS.indexOf(kind)] as Outcome | undefined) ?? undefined
}

// The project each kind resolves for, and the image each visibility means.
const HOME: Record<Kind, string> = {
  admin: 'proj-a',
  owner: 'proj-a',
  sameName: 'proj-b',
  debug: 'proj-a-debug',
  resolve: 'web',
  pull: 'web',
  read: 'proj-a',
  expired: 'proj-a',
  revoked: 'proj-a',
  malformed: 'proj-a'
}
const IMAGE: Record<Visibility, string> = { private: 'matrix-private', public: 'matrix-public' }
const PUBLISHER_SCOPES = ['images:read', 'images:write', 'credentials:write', 'resolve']
const DIGEST = `sha256:${'ab'.repeat(32)}`

interface Fixture {
  credentialId: string
  spareTokenId: string
  /** A subscription of proj-a, with a delivery whose attempt is under way (redeliver answers 409). */
  webhookId: string
  deliveryId: number
  /** One subscription of proj-a per cell for deleteWebhook, by `${kind}-${visibility}`. */
  spareWebhooks: Record<string, string>
}

interface Cell {
  kind: Kind
  visibility: Visibility
  code: string
  project: string
  fixture: Fixture
}

// How each operation is called so that an authorized caller is refused by a business rule rather
// than changing the fixture (taken names and codes, stale If-Match, statuses that forbid the action).
const REQUESTS: Record<string, (c: Cell) => Omit<CallOptions, 'method' | 'token'>> = {
  getHealth: () => ({ url: '/healthz' }),
  getReadiness: () => ({ url: '/readyz' }),
  getMetrics: () => ({ url: '/metrics' }),
  whoAmI: () => ({ url: '/v1/whoami' }),
  createToken: (c) => ({
    url: '/v1/tokens',
    payload: { name: `matrix-${c.kind}-${c.visibility}`, scopes: ['resolve'], projects: ['web'] }
  }),
  listTokens: () => ({ url: '/v1/tokens' }),
  getToken: (c) => ({ url: `/v1/tokens/${c.fixture.spareTokenId}` }),
  revokeToken: (c) => ({ url: `/v1/tokens/${c.fixture.spareTokenId}` }),
  createCredential: () => ({
    url: '/v1/projects/proj-a/credentials',
    payload: { name: 'matrix-cred', username: 'robot', password: 'pw', registries: ['registry.example.com'] }
  }),
  listCredentials: () => ({ url: '/v1/projects/proj-a/credentials' }),
  getCredential: (c) => ({ url: `/v1/projects/proj-a/credentials/${c.fixture.credentialId}` }),
  updateCredential: (c) => ({ url: `/v1/projects/proj-a/credentials/${c.fixture.credentialId}`, payload: { name: 'spare-cred' } }),
  deleteCredential: (c) => ({ url: `/v1/projects/proj-a/credentials/${c.fixture.credentialId}` }),
  createImage: (c) => ({
    url: '/v1/images',
    payload: { code: c.code, name: 'taken', ownerProject: 'proj-a', debugProject: 'proj-a-debug' }
  }),
  listImages: () => ({ url: '/v1/images' }),
  getImage: (c) => ({ url: `/v1/images/${c.code}` }),
  updateImage: (c) => ({ url: `/v1/images/${c.code}`, payload: { summary: 'changed' }, headers: { 'if-match': '"r999"' } }),
  deleteImage: (c) => ({ url: `/v1/images/${c.code}`, headers: { 'if-match': '"r999"' } }),
  listImageEvents: (c) => ({ url: `/v1/images/${c.code}/events` }),
  listEvents: (c) => ({ url: `/v1/events?image=${c.code}` }),
  submitVersion: (c) => ({
    url: `/v1/images/${c.code}/versions`,
    payload: { releaseType: 'minor', registry: 'registry.example.com', repository: 'ci/other', tag: 'x', credentialId: null }
  }),
  listVersions: (c) => ({ url: `/v1/images/${c.code}/versions` }),
  getVersion: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0` }),
  recheckVersion: (c) => ({ url: `/v1/images/${c.code}/versions/1.1.0/recheck` }),
  releaseVersion: (c) => ({ url: `/v1/images/${c.code}/versions/1.1.0/release` }),
  cancelVersion: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0/cancel` }),
  withdrawVersion: (c) => ({ url: `/v1/images/${c.code}/versions/1.1.0/withdraw`, payload: { reason: 'matrix' } }),
  // 1.1.0 is checking: an authorized caller gets 409, and nothing is queued.
  verifyVersion: (c) => ({ url: `/v1/images/${c.code}/versions/1.1.0/verify` }),
  // 1.1.0 is checking, not awaiting approval: an authorized caller gets 409.
  approveVersion: (c) => ({ url: `/v1/images/${c.code}/versions/1.1.0/approve` }),
  rejectVersion: (c) => ({ url: `/v1/images/${c.code}/versions/1.1.0/reject`, payload: { reason: 'matrix' } }),
  getVersionImpact: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0/impact` }),
  // 1.0.0's rollout is completed: reads answer 200, writes 409.
  getRollout: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0/rollout` }),
  listRollouts: (c) => ({ url: `/v1/images/${c.code}/rollouts` }),
  advanceRollout: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0/rollout/advance` }),
  pauseRollout: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0/rollout/pause` }),
  resumeRollout: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0/rollout/resume` }),
  abortRollout: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0/rollout/abort`, payload: { reason: 'matrix' } }),
  resolveVersion: (c) => ({ url: `/v1/images/${c.code}/resolve?version=1.latest&project=${c.project}` }),
  explainResolution: (c) => ({ url: `/v1/images/${c.code}/resolve/explain?version=1.latest&project=${c.project}` }),
  resolveBatch: (c) => ({ url: '/v1/resolve', payload: { project: c.project, images: [{ image: c.code, version: '1.latest' }] } }),
  listResolutions: (c) => ({ url: `/v1/images/${c.code}/resolutions` }),
  getVersionUsage: (c) => ({ url: `/v1/images/${c.code}/versions/1.0.0/usage` }),
  createWebhook: () => ({
    url: '/v1/webhooks',
    payload: { url: 'https://hooks.example.com/matrix', events: ['version.released'], project: 'proj-a' }
  }),
  listWebhooks: () => ({ url: '/v1/webhooks' }),
  getWebhook: (c) => ({ url: `/v1/webhooks/${c.fixture.webhookId}` }),
  updateWebhook: (c) => ({ url: `/v1/webhooks/${c.fixture.webhookId}`, payload: { description: `matrix ${c.kind}` } }),
  deleteWebhook: (c) => ({ url: `/v1/webhooks/${c.fixture.spareWebhooks[`${c.kind}-${c.visibility}`] ?? ''}` }),
  rotateWebhookSecret: (c) => ({ url: `/v1/webhooks/${c.fixture.webhookId}/rotate-secret`, payload: { graceSeconds: 0 } }),
  listWebhookDeliveries: (c) => ({ url: `/v1/webhooks/${c.fixture.webhookId}/deliveries` }),
  getWebhookDelivery: (c) => ({ url: `/v1/webhooks/${c.fixture.webhookId}/deliveries/${c.fixture.deliveryId}` }),
  redeliverWebhook: (c) => ({ url: `/v1/webhooks/${c.fixture.webhookId}/deliveries/${c.fixture.deliveryId}/redeliver` })
}

const AUTHORIZATION_403 = new Set(['INSUFFICIENT_SCOPE', 'PROJECT_NOT_ALLOWED', 'NOT_IMAGE_OWNER'])

/** What the answer says about authorization; a 400, a 5xx or an unexpected 404 is a broken cell. */
function outcomeOf(operationId: string, res: LightMyRequestResponse): Outcome | string {
  if (res.statusCode >= 500 || res.statusCode === 400) return `${res.statusCode} ${res.body}`
  const body = String(res.headers['content-type'] ?? '').includes('json') ? res.json<Record<string, unknown>>() : {}
  if (res.statusCode === 401) return '401'
  if (res.statusCode === 403) return AUTHORIZATION_403.has(String(body.code)) ? '403' : `403 ${res.body}`
  if (res.statusCode === 404) return body.code === 'IMAGE_NOT_FOUND' || body.code === 'WEBHOOK_NOT_FOUND' ? '404' : `404 ${res.body}`
  // A batch answers 200 with a problem per entry: the entry tells.
  if (operationId === 'resolveBatch') {
    const entry = (body.results as { problem?: { status: number; code: string } }[] | undefined)?.[0]
    if (entry?.problem)
      return entry.problem.status === 404 && entry.problem.code === 'IMAGE_NOT_FOUND' ? '404' : `entry ${JSON.stringify(entry.problem)}`
  }
  return 'ok'
}

async function fixture(test: TestApp): Promise<{ tokens: Record<Kind, string | null>; fixture: Fixture }> {
  const { call, token } = test
  const credential = await call({
    method: 'POST',
    url: '/v1/projects/proj-a/credentials',
    payload: { name: 'matrix-cred', username: 'robot', password: 'matrix-secret', registries: ['registry.example.com'] }
  })
  if (credential.statusCode !== 201) throw new Error(`credential: ${credential.body}`)
  await call({
    method: 'POST',
    url: '/v1/projects/proj-a/credentials',
    payload: { name: 'spare-cred', username: 'robot', password: 'x', registries: ['registry.example.com'] }
  })
  const credentialId = credential.json<{ id: string }>().id
  for (const visibility of ['private', 'public'] as const) {
    const res = await call({
      method: 'POST',
      url: '/v1/images',
      payload: {
        code: IMAGE[visibility],
        name: visibility,
        ownerProject: 'proj-a',
        debugProject: 'proj-a-debug',
        credentialId,
        visibility: { public: visibility === 'public' }
      }
    })
    if (res.statusCode !== 201) throw new Error(`image: ${res.body}`)
    const imageId = res.json<{ id: string }>().id
    const version = { imageId, minor: 0, patch: 0, registry: 'registry.example.com', repository: 'ci/node', submittedBy: 'admin' }
    await test.app.db
      .insertInto('imageVersions')
      .values([
        {
          ...version,
          major: 1,
          tag: '1.0',
          status: 'released',
          digest: DIGEST,
          platforms: JSON.stringify([{ os: 'linux', architecture: 'amd64' }]),
          releasedAt: new Date()
        },
        { ...version, major: 1, minor: 1, tag: '1.1', status: 'checking' }
      ])
      .execute()
  }
  await test.app.db
    .insertInto('versionRollouts')
    .columns(['versionId', 'imageId', 'plan', 'stage', 'state', 'stageStartedAt', 'startedBy', 'finishedAt'])
    .expression((eb) =>
      eb
        .selectFrom('imageVersions')
        .select((eb) => [
          'id',
          'imageId',
          eb.val(JSON.stringify({ stages: [{ percent: 10 }], advanceAfter: null })).as('plan'),
          eb.val(1).as('stage'),
          eb.val('completed').as('state'),
          eb.val(new Date()).as('stageStartedAt'),
          eb.val('matrix').as('startedBy'),
          eb.val(new Date()).as('finishedAt')
        ])
        .where('major', '=', 1)
        .where('minor', '=', 0)
        .where('patch', '=', 0)
    )
    .execute()

  const tokens: Record<Kind, string | null> = {
    admin: ADMIN_TOKEN,
    owner: await token({ name: 'pub-a', scopes: PUBLISHER_SCOPES, projects: ['proj-a', 'proj-a-debug'] }),
    sameName: await token({ name: 'pub-a', scopes: PUBLISHER_SCOPES, projects: ['proj-b'] }),
    debug: await token({ name: 'debug-runner', scopes: PUBLISHER_SCOPES, projects: ['proj-a-debug'] }),
    resolve: await token({ name: 'engine', scopes: ['resolve'], projects: ['web'] }),
    pull: await token({ name: 'engine-pull', scopes: ['resolve', 'pull-secrets'], projects: ['web'] }),
    read: await token({ name: 'reader', scopes: ['images:read'], projects: ['proj-a'] }),
    expired: await token({ name: 'pub-a-expired', scopes: PUBLISHER_SCOPES, projects: ['proj-a', 'proj-a-debug'] }),
    revoked: await token({ name: 'pub-a-revoked', scopes: PUBLISHER_SCOPES, projects: ['proj-a', 'proj-a-debug'] }),
    malformed: null
  }
  await token({ name: 'spare', scopes: ['resolve'], projects: ['web'] })
  const ids = (await call({ method: 'GET', url: '/v1/tokens?limit=100' })).json<{ items: { id: string; name: string }[] }>().items
  const idOf = (name: string) => ids.find((i) => i.name === name)?.id ?? ''
  const revoked = await call({ method: 'DELETE', url: `/v1/tokens/${idOf('pub-a-revoked')}` })
  if (revoked.statusCode !== 204) throw new Error(`revoke: ${revoked.body}`)
  // The API refuses an expiry in the past, so the clock is moved on the row itself.
  const client = new pg.Client({ connectionString: test.databaseUrl })
  await client.connect()
  await client.query("update api_tokens set expires_at = now() - interval '1 minute' where id = $1", [idOf('pub-a-expired')])
  await client.end()
  return { tokens, fixture: { credentialId, spareTokenId: idOf('spare'), ...(await webhookFixture(test)) } }
}

t.test('authorization matrix: every operation × token kind × private/public image', async (t) => {
  const contract = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, Record<string, { operationId: string }>>
  }
  const operations = Object.values(contract.paths).flatMap((item) =>
    Object.entries(item).map(([method, op]) => ({ method: method.toUpperCase(), id: op.operationId }))
  )
  const missing = operations.filter((op) => !EXPECTED[op.id] || !REQUESTS[op.id]).map((op) => op.id)
  t.same(missing, [], 'every operation of the contract has its rows (and a request) here')
  const stale = Object.keys(EXPECTED).filter((id) => !operations.some((op) => op.id === id))
  t.same(stale, [], 'no rows for operations the contract no longer has')

  const test = await build(t)
  const { tokens, fixture: fx } = await fixture(test)
  const before = await snapshot(test)

  let cells = 0
  const wrong: string[] = []
  for (const op of operations) {
    const build = REQUESTS[op.id]
    if (!build) continue
    for (const visibility of ['private', 'public'] as const) {
      for (const kind of KINDS) {
        const want = expected(op.id, kind, visibility)
        const cell = { kind, visibility, code: IMAGE[visibility], project: HOME[kind], fixture: fx }
        const request = build(cell)
        const headers = { ...request.headers, ...(kind === 'malformed' ? { authorization: 'Basic cHViLWE6c2VjcmV0' } : {}) }
        const res = await test.call({ ...request, headers, method: op.method as CallOptions['method'], token: tokens[kind] })
        const got = outcomeOf(op.id, res)
        cells++
        if (got !== want) wrong.push(`${op.id} ${kind} ${visibility}: expected ${want}, got ${got}`)
      }
    }
  }
  t.same(wrong, [], 'every cell answers as the table says')
  t.comment(`${operations.length} operations × ${KINDS.length} token kinds × 2 images = ${cells} cells`)
  t.same(await snapshot(test), before, 'no cell changed the images, their versions or the credentials')
})

async function webhookFixture(test: TestApp): Promise<Pick<Fixture, 'webhookId' | 'deliveryId' | 'spareWebhooks'>> {
  const subscribe = async () => {
    const res = await test.call({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'https://hooks.example.com/matrix', events: ['version.released'], project: 'proj-a' }
    })
    if (res.statusCode !== 201) throw new Error(`webhook: ${res.body}`)
    return res.json<{ id: string }>().id
  }
  const webhookId = await subscribe()
  const spareWebhooks: Record<string, string> = {}
  for (const kind of KINDS) for (const visibility of ['private', 'public']) spareWebhooks[`${kind}-${visibility}`] = await subscribe()
  const event = await test.app.db.selectFrom('imageEvents').select('id').orderBy('id').executeTakeFirstOrThrow()
  const delivery = await test.app.db
    .insertInto('webhookDeliveries')
    .values({ subscriptionId: webhookId, eventId: event.id, lockedBy: 'matrix', lockedUntil: new Date(Date.now() + 3_600_000) })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { webhookId, deliveryId: delivery.id, spareWebhooks }
}

/** What no cell may change: the images, their versions and the credentials. */
async function snapshot(test: TestApp): Promise<unknown> {
  const db = test.app.db
  return {
    images: await db
      .selectFrom('images')
      .select(['code', 'revision', 'summary', 'credentialId', 'visibilityPublic'])
      .orderBy('code')
      .execute(),
    versions: await db
      .selectFrom('imageVersions')
      .select(['imageId', 'major', 'minor', 'patch', 'status', 'digest', 'registry', 'repository', 'tag'])
      .orderBy('imageId')
      .orderBy('major')
      .orderBy('minor')
      .orderBy('patch')
      .execute(),
    credentials: await db.selectFrom('registryCredentials').select(['id', 'name', 'username', 'secretCiphertext']).orderBy('name').execute()
  }
}
