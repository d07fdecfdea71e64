// The seed's whole story (publish a CI image: associate, publish, verify in the debug project,
// release, upgrade, take down, fix an old line), told through the HTTP API only, against a real
// token-auth registry holding a private repository. Every step asserts exact answers.
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import { build } from '../helpers/app.js'
import { pushImage, type PushedImage } from '../helpers/registry/index.js'
import { pollUntil, resolveUrl, startStoryRegistry, trustRegistry, waitUntilChecked, type ResolveQuery } from './story-helpers.js'

const CODE = 'build-tools'
const REPO = 'tools/builder'
const ROBOT = { username: 'builder-robot', password: 'robot-pass-5f3Kq9' }
const PUBLISHER = 'payments-publisher'
// The patch bumps the highest version of line 1 that is not cancelled. The withdrawn 1.1.0 keeps its
// number (a number once released is never given to other content), so the fix is 1.1.1.
const BACKPORT = '1.1.1'

/** Shows the body only when the status is not the expected one. */
function expectStatus(t: Test, res: LightMyRequestResponse, status: number, what: string): void {
  if (!t.equal(res.statusCode, status, what)) t.comment(res.body)
}

interface LoggedResolution {
  spec: string
  version: string
  status: string
  digest: string
  project: string
  pipeline: string
  build: string
}

t.test('the seed story through the API against a real registry', async (t) => {
  const registry = await startStoryRegistry(t, { auth: 'token', users: [ROBOT] })
  const app = await build(t, { env: trustRegistry(registry) })
  const host = registry.host
  const versions = `/v1/images/${CODE}/versions`
  const tokens = { publisher: '', pipeline: '', resolveOnly: '' }
  const pushed = new Map<string, PushedImage>()
  const pinned = (tag: string) => `${host}/${REPO}@${pushed.get(tag)?.digest}`
  let credentialId = ''
  let backport = BACKPORT // what the service numbered the backport, for the later steps

  // Every resolution answered 200, in order: what the resolution log must show in the end.
  const resolved: LoggedResolution[] = []
  let builds = 0
  const resolve = async (token: string, query: Omit<ResolveQuery, 'pipeline' | 'build'>): Promise<LightMyRequestResponse> => {
    const full = { ...query, pipeline: `${query.project}-ci`, build: `b-${++builds}` }
    const res = await app.call({ method: 'GET', url: resolveUrl(CODE, full), token })
    if (res.statusCode === 200) {
      const { version, status, digest } = res.json()
      resolved.push({ spec: query.version, version, status, digest, project: query.project, pipeline: full.pipeline, build: full.build })
    }
    return res
  }
  /** The exact answer for a version pushed under `tag`. */
  const resolution = (spec: string, version: string, tag: string, status: 'released' | 'testing', withSecret: boolean) => ({
    image: CODE,
    spec,
    version,
    status,
    reference: `${host}/${REPO}:${tag}`,
    digest: pushed.get(tag)?.digest,
    pinnedReference: pinned(tag),
    platforms: pushed.get(tag)?.platforms,
    drift: null,
    credential: { id: credentialId, project: 'payments' },
    ...(withSecret ? { pullSecret: ROBOT } : {})
  })
  const publisherCall = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    app.call({ method, url, token: tokens.publisher, ...(payload ? { payload } : {}) })
  /** Pushes `tag`, submits it, waits for the check; returns the submission answer. */
  const submitTag = async (t: Test, tag: string, kind: 'oci-image' | 'oci-index', bump: Record<string, unknown>) => {
    pushed.set(tag, await pushImage(registry, { repository: REPO, tag, kind }))
    const res = await publisherCall('POST', versions, { ...bump, registry: host, repository: REPO, tag })
    expectStatus(t, res, 202, `submit ${tag}`)
    return res
  }
  const release = async (t: Test, version: string) => {
    const res = await publisherCall('POST', `${versions}/${version}/release`)
    expectStatus(t, res, 200, `release ${version}`)
    t.match(res.json(), { version, status: 'released', releasedBy: PUBLISHER, allowedActions: ['withdraw'] })
  }
  const expectVersion = async (t: Test, token: string, query: Omit<ResolveQuery, 'pipeline' | 'build'>, expected: object) => {
    const res = await resolve(token, query)
    expectStatus(t, res, 200, `${query.version} for ${query.project}`)
    t.same(res.json(), expected, `${query.version} for ${query.project}: the exact resolution`)
  }
  const expectProblem = async (
    t: Test,
    token: string,
    query: Omit<ResolveQuery, 'pipeline' | 'build'>,
    status: number,
    problem: object
  ) => {
    const res = await resolve(token, query)
    expectStatus(t, res, status, `${query.version} for ${query.project}`)
    t.match(res.json(), problem, `${query.version} for ${query.project}: the problem`)
  }

  t.test('1. admin creates the publisher, pipeline and resolve-only tokens', async (t) => {
    const create = async (body: object) => {
      const res = await app.call({ method: 'POST', url: '/v1/tokens', payload: body })
      expectStatus(t, res, 201, 'POST /v1/tokens')
      return res.json()
    }
    // images:write for the debug project too: associating an image names both projects.
    const publisher = await create({
      name: PUBLISHER,
      scopes: ['images:read', 'images:write', 'credentials:write'],
      projects: ['payments', 'payments-debug']
    })
    t.match(publisher, {
      name: PUBLISHER,
      scopes: ['images:read', 'images:write', 'credentials:write'],
      projects: ['payments', 'payments-debug'],
      expiresAt: null
    })
    const pipeline = await create({ name: 'pipeline-engine', scopes: ['resolve', 'pull-secrets'] })
    t.match(pipeline, { name: 'pipeline-engine', scopes: ['resolve', 'pull-secrets'], projects: null })
    const resolveOnly = await create({ name: 'web-resolver', scopes: ['resolve'], projects: ['web'] })
    t.match(resolveOnly, { name: 'web-resolver', scopes: ['resolve'], projects: ['web'] })
    Object.assign(tokens, { publisher: publisher.token, pipeline: pipeline.token, resolveOnly: resolveOnly.token })
  })

  t.test('2. the publisher creates a credential in payments and associates build-tools', async (t) => {
    const cred = await publisherCall('POST', '/v1/projects/payments/credentials', {
      name: 'builder-robot',
      description: 'Pull robot for tools/*',
      ...ROBOT,
      registries: registry.hosts
    })
    expectStatus(t, cred, 201, 'POST credentials')
    t.match(cred.json(), {
      project: 'payments',
      name: 'builder-robot',
      username: ROBOT.username,
      createdBy: PUBLISHER,
      secretRotatedAt: null
    })
    t.notOk(cred.body.includes(ROBOT.password), 'the password is never returned')
    credentialId = cred.json().id

    const association = { code: CODE, name: 'Build tools', ownerProject: 'payments', debugProject: 'payments-debug', credentialId }
    // Naming a debug project takes images:write there too: a token of payments alone is refused.
    const paymentsOnly = await app.token({ name: 'payments-only', scopes: ['images:write'], projects: ['payments'] })
    const refused = await app.call({ method: 'POST', url: '/v1/images', payload: association, token: paymentsOnly })
    expectStatus(t, refused, 403, 'POST /v1/images with a token of payments alone')
    t.match(refused.json(), { code: 'PROJECT_NOT_ALLOWED', project: 'payments-debug' })

    const image = await publisherCall('POST', '/v1/images', association)
    expectStatus(t, image, 201, 'POST /v1/images')
    t.equal(image.headers.location, `/v1/images/${CODE}`)
    t.equal(image.headers.etag, '"r1"')
    t.match(image.json(), {
      code: CODE,
      ownerProject: 'payments',
      debugProject: 'payments-debug',
      credentialId,
      visibility: { public: false, projects: [] },
      revision: 1,
      lastReleasedAt: null,
      createdBy: PUBLISHER
    })
  })

  t.test('3. the first version is checked against the registry: testing, with the pushed digest and platforms', async (t) => {
    const res = await submitTag(t, '1.0', 'oci-index', { dockerfile: 'FROM debian:12\nRUN apt-get install -y make\n' })
    t.equal(res.headers.location, `${versions}/1.0.0`)
    t.match(res.json(), {
      version: '1.0.0',
      releaseType: null,
      status: 'checking',
      reference: `${host}/${REPO}:1.0`,
      credentialId,
      digest: null,
      submittedBy: PUBLISHER
    })
    const v = await waitUntilChecked(app, CODE, '1.0.0', tokens.publisher)
    t.match(v, {
      status: 'testing',
      digest: pushed.get('1.0')?.digest,
      pinnedReference: pinned('1.0'),
      mediaType: pushed.get('1.0')?.mediaType,
      size: pushed.get('1.0')?.size,
      checkClass: null,
      statusReason: null
    })
    t.same(v.platforms, [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' }
    ])
  })

  t.test('4. only the debug project resolves the testing version', async (t) => {
    const res = await resolve(tokens.pipeline, { version: '1.latest', project: 'payments-debug' })
    expectStatus(t, res, 200, '1.latest for payments-debug')
    t.same(res.json(), resolution('1.latest', '1.0.0', '1.0', 'testing', true))
    t.equal(res.headers['cache-control'], 'no-store')
    await expectProblem(t, tokens.pipeline, { version: '1.latest', project: 'payments' }, 404, {
      code: 'VERSION_NOT_FOUND',
      newestVersion: null
    })
    await expectProblem(t, tokens.resolveOnly, { version: '1.latest', project: 'web' }, 404, {
      code: 'IMAGE_NOT_FOUND',
      image: CODE,
      project: 'web'
    })
  })

  t.test('5. released: pinned by digest for every project that can see it; pull secrets only with pull-secrets', async (t) => {
    await release(t, '1.0.0')
    await expectVersion(
      t,
      tokens.pipeline,
      { version: '1.latest', project: 'payments' },
      resolution('1.latest', '1.0.0', '1.0', 'released', true)
    )
    await expectVersion(
      t,
      tokens.pipeline,
      { version: '1.latest', project: 'payments-debug' },
      resolution('1.latest', '1.0.0', '1.0', 'released', true)
    )
    await expectProblem(t, tokens.resolveOnly, { version: '1.latest', project: 'web' }, 404, { code: 'IMAGE_NOT_FOUND' })

    const patched = await publisherCall('PATCH', `/v1/images/${CODE}`, { visibility: { projects: ['web'] } })
    expectStatus(t, patched, 200, 'PATCH visibility')
    t.match(patched.json(), { visibility: { public: false, projects: ['web'] }, revision: 2 })

    const web = await resolve(tokens.resolveOnly, { version: '1.latest', project: 'web' })
    expectStatus(t, web, 200, '1.latest for web')
    t.same(web.json(), resolution('1.latest', '1.0.0', '1.0', 'released', false))
    t.notOk('pullSecret' in web.json(), 'no pullSecret without the pull-secrets scope')
    await expectVersion(
      t,
      tokens.pipeline,
      { version: '1.latest', project: 'web' },
      resolution('1.latest', '1.0.0', '1.0', 'released', true)
    )
    await expectVersion(t, tokens.pipeline, { version: '1.0.0', project: 'web' }, resolution('1.0.0', '1.0.0', '1.0', 'released', true))
    await expectProblem(t, tokens.pipeline, { version: '1.latest', project: 'billing' }, 404, { code: 'IMAGE_NOT_FOUND' })
  })

  t.test('6. a minor release moves 1.latest; a major one moves latest and 2.latest but not 1.latest', async (t) => {
    const minor = await submitTag(t, '1.1', 'oci-image', { releaseType: 'minor', releaseNotes: 'ccache 4.10' })
    t.match(minor.json(), { version: '1.1.0', releaseType: 'minor', status: 'checking' })
    t.match(await waitUntilChecked(app, CODE, '1.1.0', tokens.publisher), { status: 'testing', digest: pushed.get('1.1')?.digest })
    await expectVersion(
      t,
      tokens.pipeline,
      { version: '1.latest', project: 'payments-debug' },
      resolution('1.latest', '1.1.0', '1.1', 'testing', true)
    )
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: '1.latest', project: 'web' },
      resolution('1.latest', '1.0.0', '1.0', 'released', false)
    )
    await release(t, '1.1.0')
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: '1.latest', project: 'web' },
      resolution('1.latest', '1.1.0', '1.1', 'released', false)
    )

    const major = await submitTag(t, '2.0', 'oci-index', { releaseType: 'major', releaseNotes: 'Debian 13 base' })
    t.match(major.json(), { version: '2.0.0', releaseType: 'major', status: 'checking' })
    t.match(await waitUntilChecked(app, CODE, '2.0.0', tokens.publisher), { status: 'testing', digest: pushed.get('2.0')?.digest })
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: 'latest', project: 'web' },
      resolution('latest', '1.1.0', '1.1', 'released', false)
    )
    await release(t, '2.0.0')
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: '1.latest', project: 'web' },
      resolution('1.latest', '1.1.0', '1.1', 'released', false)
    )
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: 'latest', project: 'web' },
      resolution('latest', '2.0.0', '2.0', 'released', false)
    )
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: '2.latest', project: 'web' },
      resolution('2.latest', '2.0.0', '2.0', 'released', false)
    )
  })

  const REASON = 'ccache 4.10 corrupts the build cache; use 1.0.0 or 2.0.0'
  t.test('7. withdrawing 1.1.0 rolls 1.latest back at once; asking for 1.1.0 is a 410 naming the reason and 1.0.0', async (t) => {
    const res = await publisherCall('POST', `${versions}/1.1.0/withdraw`, { reason: REASON })
    expectStatus(t, res, 200, 'POST withdraw 1.1.0')
    t.match(res.json(), { version: '1.1.0', status: 'withdrawn', withdrawnBy: PUBLISHER, withdrawReason: REASON, allowedActions: [] })
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: '1.latest', project: 'web' },
      resolution('1.latest', '1.0.0', '1.0', 'released', false)
    )
    const gone = await resolve(tokens.resolveOnly, { version: '1.1.0', project: 'web' })
    expectStatus(t, gone, 410, '1.1.0 for web')
    t.match(gone.json(), { code: 'VERSION_WITHDRAWN', image: CODE, version: '1.1.0', withdrawReason: REASON, servingVersion: '1.0.0' })
    t.match(gone.json().detail, REASON)
    t.match(gone.json().detail, '"1.latest" now resolves to 1.0.0')
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: 'latest', project: 'web' },
      resolution('latest', '2.0.0', '2.0', 'released', false)
    )
  })

  t.test(`8. a backport patch on line 1 is ${BACKPORT}: 1.latest moves to it, latest stays 2.0.0`, async (t) => {
    const res = await submitTag(t, BACKPORT, 'oci-image', { releaseType: 'patch', line: 1, releaseNotes: 'make 4.4 on the 1.x line' })
    t.match(res.json(), { version: BACKPORT, releaseType: 'patch', status: 'checking' }, `the backport is numbered ${BACKPORT}`)
    // The number the service gave, so one wrong number is reported once rather than at every URL.
    const version = String(res.json().version)
    backport = version
    t.match(await waitUntilChecked(app, CODE, version, tokens.publisher), { status: 'testing', digest: pushed.get(BACKPORT)?.digest })
    await release(t, version)
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: '1.latest', project: 'web' },
      resolution('1.latest', BACKPORT, BACKPORT, 'released', false)
    )
    await expectVersion(
      t,
      tokens.resolveOnly,
      { version: 'latest', project: 'web' },
      resolution('latest', '2.0.0', '2.0', 'released', false)
    )
  })

  t.test('9. the audit trail shows the association, every submission and every transition in order', async (t) => {
    const res = await publisherCall('GET', `/v1/images/${CODE}/events?limit=100`)
    expectStatus(t, res, 200, 'GET events')
    const events = (
      res.json().items as { action: string; version: string | null; actor: { name: string }; details: Record<string, unknown> }[]
    ).reverse()
    const seen = events.map((e) => ({
      action: e.action,
      version: e.version,
      actor: e.actor.name,
      from: e.details.from ?? null,
      to: e.details.to ?? null
    }))
    const step = (action: string, version: string | null, from: string | null, to: string | null, actor = PUBLISHER) => ({
      action,
      version,
      actor,
      from,
      to
    })
    const published = (version: string) => [
      step('version.submitted', version, null, 'checking'),
      step('version.check_passed', version, 'checking', 'testing', 'check-worker'),
      step('version.released', version, 'testing', 'released')
    ]
    t.same(seen, [
      step('image.associated', null, null, null),
      ...published('1.0.0'),
      step('image.updated', null, null, null),
      ...published('1.1.0'),
      ...published('2.0.0'),
      step('version.withdrawn', '1.1.0', 'released', 'withdrawn'),
      ...published(backport)
    ])
    const tags = ['1.0', '1.1', '2.0', BACKPORT]
    t.same(
      events.filter((e) => e.action === 'version.check_passed').map((e) => e.details.digest),
      tags.map((tag) => pushed.get(tag)?.digest)
    )
    t.same(events.find((e) => e.action === 'image.updated')?.details, { changes: { 'visibility.projects': { from: [], to: ['web'] } } })
    t.match(events.find((e) => e.action === 'version.withdrawn')?.details, { reason: REASON })
  })

  t.test('10. the resolution log lists every resolution; usage shows who resolved 1.0.0', async (t) => {
    const expected = [...resolved].reverse()
    const { value: items, ms } = await pollUntil(
      async () => {
        const res = await publisherCall('GET', `/v1/images/${CODE}/resolutions?limit=100`)
        if (res.statusCode !== 200) throw new Error(`resolutions: ${res.statusCode} ${res.body}`)
        const page = res.json().items as (LoggedResolution & { count: number; firstResolvedAt: string; resolvedAt: string })[]
        return page.length >= expected.length ? page : undefined
      },
      50,
      5000
    )
    t.comment(`resolution log complete after ${ms} ms`)
    // Every job has its own build, so no two resolutions fold into one entry.
    t.same(
      items?.map(({ resolvedAt: _at, firstResolvedAt: _first, ...rest }) => rest),
      expected.map((r) => ({ ...r, count: 1 }))
    )

    const usage = await publisherCall('GET', `${versions}/1.0.0/usage`)
    expectStatus(t, usage, 200, 'GET usage of 1.0.0')
    const byProject = new Map<string, number>()
    for (const r of expected) if (r.version === '1.0.0') byProject.set(r.project, (byProject.get(r.project) ?? 0) + 1)
    // Most recent first: `expected` is newest first, and a Map keeps first-insertion order.
    t.same(
      usage.json().projects.map(({ project, resolutions }: { project: string; resolutions: number }) => ({ project, resolutions })),
      [...byProject].map(([project, resolutions]) => ({ project, resolutions }))
    )
    t.same(
      usage.json().projects.map((p: { project: string }) => p.project),
      ['web', 'payments-debug', 'payments']
    )
  })
})
