/**
 * The fuzzer's target, made through the API as a publisher would: a credential bound to a real
 * registry, a private image using it with a released 1.0.0 and a testing 1.1.0 (so release, cancel,
 * withdraw and resolve reach their handlers), a public image with a released 1.0.0, tokens of
 * several kinds, and a resolution. A
 * snapshot of everything the fuzzer must not change is taken before and compared after.
 */
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from '../app.js'
import type { RigRegistry } from '../registry/index.js'
import { bodyProperties, type OpenApiDocument, type Operation } from './openapi-operations.js'
import type { Hints } from './schema-arbitraries.js'

export const OWNER = 'fuzz-owner'
export const DEBUG = 'fuzz-debug'
export const OTHER = 'fuzz-other'
export const CODE = 'fuzz-img'
/** A public image of the same owner: readable by every project, writable by none but its own. */
export const PUBLIC_CODE = 'fuzz-pub'
export const REPOSITORY = 'fuzz/app'

export interface FuzzFixture {
  credentialId: string
  tokens: { owner: string; other: string }
  tokenIds: string[]
  /** Real values to plant in generated requests so they reach the handlers. */
  hints: Hints
}

function expect(res: LightMyRequestResponse, status: number, what: string): LightMyRequestResponse {
  if (res.statusCode !== status) throw new Error(`fuzz fixture, ${what}: ${res.statusCode} ${res.body}`)
  return res
}

async function createToken(app: TestApp, body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  return expect(await app.call({ method: 'POST', url: '/v1/tokens', payload: body }), 201, `token ${String(body.name)}`).json()
}

/** The credential body follows the committed document (another engineer is adding `registries`); the server's answer settles a document not yet regenerated. */
async function createCredential(app: TestApp, doc: OpenApiDocument, op: Operation | undefined, registry: RigRegistry): Promise<string> {
  const url = `/v1/projects/${OWNER}/credentials`
  const base = {
    name: 'fuzz-robot',
    username: registry.users[0]!.username,
    password: registry.users[0]!.password,
    description: 'fuzz fixture'
  }
  const bound = { ...base, registries: [registry.host] }
  let res = await app.call({ method: 'POST', url, payload: bodyProperties(doc, op).includes('registries') ? bound : base })
  if (res.statusCode === 400 && res.body.includes('registries')) res = await app.call({ method: 'POST', url, payload: bound })
  return expect(res, 201, 'credential').json<{ id: string }>().id
}

async function checkedVersion(app: TestApp, code: string, payload: Record<string, unknown>): Promise<string> {
  const { version } = expect(await app.call({ method: 'POST', url: `/v1/images/${code}/versions`, payload }), 202, 'submit').json<{
    version: string
  }>()
  const deadline = Date.now() + 20_000
  for (;;) {
    const v = expect(await app.call({ method: 'GET', url: `/v1/images/${code}/versions/${version}` }), 200, 'version').json<{
      status: string
      statusReason: string | null
    }>()
    if (v.status === 'testing') return version
    if (v.status !== 'checking' || Date.now() > deadline)
      throw new Error(`fuzz fixture: ${version} is ${v.status} (${v.statusReason ?? ''})`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export async function createFuzzFixture(
  app: TestApp,
  doc: OpenApiDocument,
  operations: Operation[],
  registry: RigRegistry
): Promise<FuzzFixture> {
  const publisher = { scopes: ['images:read', 'images:write', 'credentials:write', 'resolve', 'pull-secrets'] }
  const owner = await createToken(app, { name: 'fuzz-publisher', ...publisher, projects: [OWNER, DEBUG] })
  // the same name in another project: ownership must not follow names (issue 12, item 1)
  const other = await createToken(app, { name: 'fuzz-publisher', ...publisher, projects: [OTHER] })
  const spare = await createToken(app, { name: 'fuzz-spare', scopes: ['resolve'] })
  const credentialId = await createCredential(
    app,
    doc,
    operations.find((o) => o.id === 'createCredential'),
    registry
  )
  // made by the publisher, so that a token of another project with the same name is the attacker of item 1
  const image = {
    code: CODE,
    name: 'Fuzz fixture',
    ownerProject: OWNER,
    debugProject: DEBUG,
    credentialId,
    labels: ['fuzz'],
    summary: 'fuzzed, never changed'
  }
  expect(await app.call({ method: 'POST', url: '/v1/images', payload: image, token: owner.token }), 201, 'image')
  const publicImage = { ...image, code: PUBLIC_CODE, visibility: { public: true } }
  expect(await app.call({ method: 'POST', url: '/v1/images', payload: publicImage, token: owner.token }), 201, 'public image')
  const at = { registry: registry.host, repository: REPOSITORY }
  const first = await checkedVersion(app, CODE, { ...at, tag: 'v1' })
  expect(await app.call({ method: 'POST', url: `/v1/images/${CODE}/versions/${first}/release` }), 200, 'release')
  const second = await checkedVersion(app, CODE, { ...at, tag: 'v2', releaseType: 'minor', releaseNotes: 'still testing' })
  const published = await checkedVersion(app, PUBLIC_CODE, { ...at, tag: 'v1' })
  expect(await app.call({ method: 'POST', url: `/v1/images/${PUBLIC_CODE}/versions/${published}/release` }), 200, 'release')
  expect(
    await app.call({
      method: 'GET',
      url: `/v1/images/${CODE}/resolve?version=1.latest&project=${OWNER}&pipeline=p-1&build=b-1`,
      token: spare.token
    }),
    200,
    'resolve'
  )
  return {
    credentialId,
    tokens: { owner: owner.token, other: other.token },
    tokenIds: [owner.id, other.id, spare.id],
    hints: {
      strings: [
        CODE,
        OWNER,
        DEBUG,
        credentialId,
        owner.id,
        other.id,
        spare.id,
        first,
        second,
        '1.latest',
        'latest',
        '2.0.0',
        registry.host,
        REPOSITORY,
        'v1',
        'fuzz',
        'p-1'
      ],
      byName: {
        code: [CODE, PUBLIC_CODE],
        image: [CODE, PUBLIC_CODE],
        project: [OWNER, DEBUG],
        ownerProject: [OWNER],
        debugProject: [DEBUG],
        projects: [OWNER, DEBUG],
        credentialId: [credentialId],
        id: [owner.id, other.id, spare.id],
        version: [second, first, '1.latest', '1.1.latest'],
        registry: [registry.host],
        registries: [registry.host],
        repository: [REPOSITORY],
        tag: ['v1', 'v2'],
        username: [registry.users[0]!.username],
        password: [registry.users[0]!.password],
        labels: ['fuzz'],
        label: ['fuzz']
      }
    }
  }
}

/** Everything a hostile request could change, read with the admin token; `lastUsedAt` moves whenever a token is used, so it is left out. */
export async function fixtureSnapshot(app: TestApp, fixture: FuzzFixture): Promise<Record<string, unknown>> {
  const read = async (url: string) => {
    const res = await app.call({ method: 'GET', url })
    return {
      status: res.statusCode,
      // A weak ETag is a hash of the body, which is compared below without lastUsedAt (using a
      // token changes it); a strong one carries the revision and is compared as it is.
      etag: res.headers.etag?.startsWith('W/') ? undefined : res.headers.etag,
      body: JSON.parse(res.body, (key, value) => (key === 'lastUsedAt' ? undefined : value)) as unknown
    }
  }
  const urls = [
    ...[CODE, PUBLIC_CODE].flatMap((code) => [
      `/v1/images/${code}`,
      `/v1/images/${code}/versions?limit=100`,
      `/v1/images/${code}/events?limit=100`
    ]),
    `/v1/images?limit=100`,
    `/v1/tokens?limit=100`,
    ...fixture.tokenIds.map((id) => `/v1/tokens/${id}`),
    `/v1/projects/${OWNER}/credentials/${fixture.credentialId}`,
    ...[OWNER, DEBUG, OTHER].map((p) => `/v1/projects/${p}/credentials?limit=100`)
  ]
  const snapshot: Record<string, unknown> = {}
  for (const url of urls) snapshot[url] = await read(url)
  return snapshot
}
