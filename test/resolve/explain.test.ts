import t from 'tap'
import { build } from '../helpers/app.js'
import { insertImage, insertRollout, insertVersion } from './fixtures.js'

const explainUrl = (code: string, query: string) => `/v1/images/${code}/resolve/explain?${query}`

interface Candidate {
  version: string
  status: string
  verdict: string
  reason: string | null
  detail: string
  rollout?: { state: string; stage: number; stages: number }
}

t.test('explain: every version with the verdict and the reason resolve acts on', async (t) => {
  const { app, call, token } = await build(t)
  const tools = await insertImage(app.db, 'tools', { visibilityProjects: ['payments', 'early-a'] })
  await insertVersion(app.db, tools, '1.0.0', 'released')
  await insertVersion(app.db, tools, '1.0.1', 'released')
  await insertVersion(app.db, tools, '1.1.0', 'released', {
    unavailableSince: new Date('2026-11-30T10:12:41.000Z'),
    unavailableReason: 'the registry answered 404 for its digest twice'
  })
  await insertVersion(app.db, tools, '1.2.0', 'withdrawn')
  const rolling = await insertVersion(app.db, tools, '1.3.0', 'released')
  await insertRollout(app.db, tools, rolling.id, {
    stages: [{ projects: ['early-a'] }, { percent: 10 }, { percent: 50 }],
    advanceAfter: '24h'
  })
  await insertVersion(app.db, tools, '1.4.0', 'released', { digest: null })
  await insertVersion(app.db, tools, '1.5.0', 'testing')
  await insertVersion(app.db, tools, '2.0.0', 'released')
  // The pipeline engine acts for every project, as in production: it learns all there is.
  const engine = await token({ name: 'engine', scopes: ['resolve'] })

  const explain = (query: string, as: string | null = engine) => call({ method: 'GET', url: explainUrl('tools', query), token: as })
  const resolve = (query: string) => call({ method: 'GET', url: `/v1/images/tools/resolve?${query}`, token: engine })
  const verdicts = (candidates: Candidate[]) => candidates.map((c) => [c.version, c.verdict, c.reason])

  await t.test('a consumer asking 1.latest: each rule in turn, then the chosen version', async (t) => {
    const res = await explain('version=1.latest&project=payments')
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.match(body, {
      image: 'tools',
      spec: '1.latest',
      project: 'payments',
      audience: 'consumer',
      outcome: { kind: 'resolved', version: '1.0.1' }
    })
    t.same(verdicts(body.candidates), [
      ['2.0.0', 'outside_spec', null],
      ['1.5.0', 'skipped', 'not_released'],
      ['1.4.0', 'skipped', 'no_digest'],
      ['1.3.0', 'skipped', 'rollout_not_reached'],
      ['1.2.0', 'skipped', 'withdrawn'],
      ['1.1.0', 'skipped', 'unavailable'],
      ['1.0.1', 'chosen', null],
      ['1.0.0', 'not_considered', null]
    ])
    const byVersion = new Map<string, Candidate>(body.candidates.map((c: Candidate) => [c.version, c]))
    t.equal(
      byVersion.get('1.3.0')?.detail,
      'Rollout stage 1 of 3 reaches "early-a"; "payments" is not among them. An exact 1.3.0 would resolve to it.'
    )
    t.same(byVersion.get('1.3.0')?.rollout, { state: 'rolling_out', stage: 0, stages: 3 })
    t.equal(byVersion.get('1.0.1')?.rollout, undefined, 'only a version rolling out shows a rollout')
    t.equal(byVersion.get('1.5.0')?.detail, 'In testing: before its release only the debug project "debug-proj" resolves it.')
    t.equal(byVersion.get('1.4.0')?.detail, 'No digest was recorded for it, so it cannot be pinned.')
    t.equal(byVersion.get('1.2.0')?.detail, 'Withdrawn by its publisher (broken glibc).')
    t.match(
      byVersion.get('1.1.0')?.detail,
      'cannot be pulled since 2026-11-30T10:12:41.000Z: the registry answered 404 for its digest twice.'
    )
    t.equal(byVersion.get('1.0.0')?.detail, 'Older than 1.0.1, the version chosen.')
    t.equal(byVersion.get('2.0.0')?.detail, 'Outside the line 1 that "1.latest" asks for.')
    t.equal((await resolve('version=1.latest&project=payments')).json().version, '1.0.1', 'resolve answers the same')
  })

  await t.test('a project the rollout reached, and the debug project', async (t) => {
    const early = (await explain('version=1.latest&project=early-a')).json()
    t.match(early.outcome, { kind: 'resolved', version: '1.3.0' })
    const chosen = early.candidates.find((c: Candidate) => c.verdict === 'chosen')
    t.equal(
      chosen.detail,
      'The newest version matching "1.latest" that "early-a" can use. Rollout stage 1 of 3 reaches "early-a"; "early-a" is among them.'
    )

    const debug = (await explain('version=1.latest&project=debug-proj')).json()
    t.match(debug, { audience: 'debug', outcome: { kind: 'resolved', version: '1.5.0' } })
    t.same(verdicts(debug.candidates).slice(0, 3), [
      ['2.0.0', 'outside_spec', null],
      ['1.5.0', 'chosen', null],
      ['1.4.0', 'not_considered', null]
    ])
    const rolled = (await explain('version=1.3.latest&project=debug-proj')).json()
    t.match(rolled.candidates.find((c: Candidate) => c.verdict === 'chosen').detail, 'every rollout reaches the debug project')
  })

  await t.test('exact versions: a pin of the rolling version resolves; the 410s and 404 are the ones resolve answers', async (t) => {
    const pinned = (await explain('version=1.3.0&project=payments')).json()
    t.match(pinned.outcome, { kind: 'resolved', version: '1.3.0' })
    t.match(
      pinned.candidates.find((c: Candidate) => c.version === '1.3.0'),
      {
        verdict: 'chosen',
        detail: /a rollout does not limit an exact version: pinning it is an opt-in/
      }
    )
    t.ok(
      pinned.candidates.every(
        (c: Candidate) => c.version === '1.3.0' || (c.verdict === 'outside_spec' && c.detail === 'Not the version asked for (1.3.0).')
      )
    )
    for (const [spec, status, code] of [
      ['1.2.0', 410, 'VERSION_WITHDRAWN'],
      ['1.1.0', 410, 'VERSION_UNAVAILABLE'],
      ['1.5.0', 404, 'VERSION_NOT_FOUND'],
      ['1.4.0', 404, 'VERSION_NOT_FOUND'],
      ['3.latest', 404, 'VERSION_NOT_FOUND'],
      ['1.9.9', 404, 'VERSION_NOT_FOUND']
    ] as const) {
      const explained = (await explain(`version=${spec}&project=payments`)).json()
      const resolved = await resolve(`version=${spec}&project=payments`)
      t.same(explained.outcome, { kind: 'problem', status, code, detail: resolved.json().detail }, spec)
      t.equal(resolved.statusCode, status, `resolve answers ${status} for ${spec}`)
    }
    t.ok((await explain('version=3.latest&project=payments')).json().candidates.every((c: Candidate) => c.verdict === 'outside_spec'))
  })

  await t.test('nothing is recorded in the resolution log', async (t) => {
    await app.resolutionLog.flush()
    const before = app.resolutionLog.buffered
    const count = async () =>
      Number(
        (
          await app.db
            .selectFrom('resolutions')
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n
      )
    const rows = await count()
    for (const spec of ['1.latest', '1.3.0', 'latest']) t.equal((await explain(`version=${spec}&project=payments`)).statusCode, 200)
    t.equal(app.resolutionLog.buffered, before)
    await app.resolutionLog.flush()
    t.equal(await count(), rows)
  })

  await t.test('who may ask: resolve for the project, the owner project reading the image, admin', async (t) => {
    const publisher = await token({ name: 'publisher', scopes: ['images:read'], projects: ['owner-proj'] })
    const writer = await token({ name: 'writer', scopes: ['images:write'], projects: ['owner-proj'] })
    const consumerReader = await token({ name: 'consumer-reader', scopes: ['images:read'], projects: ['payments'] })
    const otherEngine = await token({ name: 'other-engine', scopes: ['resolve', 'images:read'], projects: ['payments'] })
    const stranger = await token({ name: 'stranger', scopes: ['images:read', 'resolve'], projects: ['stranger'] })
    const credentials = await token({ name: 'credentials', scopes: ['credentials:write'], projects: ['owner-proj'] })

    t.equal((await explain('version=1.latest&project=payments', publisher)).statusCode, 200, 'images:read for the owner project')
    t.equal((await explain('version=1.latest&project=payments', writer)).statusCode, 200, 'images:write for the owner project')
    t.equal((await explain('version=1.latest&project=payments', null)).statusCode, 401)

    const notOwner = await explain('version=1.latest&project=early-a', consumerReader)
    t.equal(notOwner.statusCode, 403)
    t.match(notOwner.json(), { code: 'NOT_IMAGE_OWNER', ownerProject: 'owner-proj' })
    const otherProject = await explain('version=1.latest&project=early-a', otherEngine)
    t.equal(otherProject.statusCode, 403)
    t.match(otherProject.json(), { code: 'PROJECT_NOT_ALLOWED', project: 'early-a' })
    const noScope = await explain('version=1.latest&project=payments', credentials)
    t.equal(noScope.statusCode, 403)
    t.match(noScope.json(), { code: 'INSUFFICIENT_SCOPE', requiredScope: 'resolve' })

    // A private image reads as unknown to whoever cannot see it, as in resolve.
    const invisible = await explain('version=1.latest&project=stranger', stranger)
    const unknown = await call({ method: 'GET', url: explainUrl('nope', 'version=1.latest&project=stranger'), token: stranger })
    t.equal(invisible.statusCode, 404)
    t.match(invisible.json(), { code: 'IMAGE_NOT_FOUND', image: 'tools', project: 'stranger' })
    t.equal(invisible.json().detail.replace('tools', 'nope'), unknown.json().detail, 'no hint that "tools" exists')
    const ownerForStranger = await explain('version=1.latest&project=stranger', publisher)
    t.equal(ownerForStranger.statusCode, 404, 'the owner asking for a project the image is not visible to')
    t.match(ownerForStranger.json(), { code: 'IMAGE_NOT_FOUND', project: 'stranger' })
    const admin = await call({ method: 'GET', url: explainUrl('tools', 'version=1.latest&project=stranger') })
    t.match(admin.json(), { status: 404, code: 'IMAGE_NOT_VISIBLE' })
    t.equal((await call({ method: 'GET', url: explainUrl('tools', 'version=1.latest&project=payments') })).statusCode, 200, 'admin')
  })

  await t.test('a token that only resolves for a consumer learns no more than resolve tells it', async (t) => {
    const consumer = await token({ name: 'payments-engine', scopes: ['resolve'], projects: ['payments', 'early-a'] })
    const body = (await explain('version=1.latest&project=payments', consumer)).json()
    t.match(body.outcome, { kind: 'resolved', version: '1.0.1' })
    t.notOk(
      body.candidates.some((c: Candidate) => c.version === '1.5.0'),
      'the testing version is left out (resolve answers it 404 to this project)'
    )
    t.same(verdicts(body.candidates).slice(0, 3), [
      ['2.0.0', 'outside_spec', null],
      ['1.4.0', 'skipped', 'no_digest'],
      ['1.3.0', 'skipped', 'rollout_not_reached']
    ])
    const rolling = body.candidates.find((c: Candidate) => c.version === '1.3.0')
    t.equal(
      rolling.detail,
      'Rollout stage 1 of 3 reaches 1 listed project; "payments" is not among them. An exact 1.3.0 would resolve to it.',
      'listed projects are counted, not named'
    )
    const reached = (await explain('version=1.latest&project=early-a', consumer)).json()
    t.match(
      reached.candidates.find((c: Candidate) => c.verdict === 'chosen').detail,
      'reaches 1 listed project (among them "early-a"); "early-a" is among them.'
    )
    const debugEngine = await token({ name: 'debug-engine', scopes: ['resolve'], projects: ['debug-proj'] })
    const debug = (await explain('version=1.latest&project=debug-proj', debugEngine)).json()
    t.match(debug.outcome, { kind: 'resolved', version: '1.5.0' }, 'the debug project sees its testing version')
  })

  await t.test('400 for a bad spec and for unknown or missing parameters', async (t) => {
    const bad = await explain('version=1.x&project=payments')
    t.equal(bad.statusCode, 400)
    t.match(bad.json(), { code: 'INVALID_VERSION_SPEC', spec: '1.x' })
    t.match((await explain('version=1.latest&project=payments&pipeline=p1')).json(), { status: 400, code: 'VALIDATION_FAILED' })
    t.match((await explain('version=1.latest')).json(), { status: 400, code: 'VALIDATION_FAILED' })
  })
})

t.test('explain a release awaiting approval', async (t) => {
  const { app, call } = await build(t)
  const gated = await insertImage(app.db, 'gated', { visibilityPublic: true })
  await insertVersion(app.db, gated, '1.0.0', 'released')
  await insertVersion(app.db, gated, '1.1.0', 'awaiting_approval')
  const explain = (project: string) => call({ method: 'GET', url: explainUrl('gated', `version=1.latest&project=${project}`) })

  const consumer = (await explain('payments')).json()
  t.match(consumer.outcome, { kind: 'resolved', version: '1.0.0' })
  t.match(consumer.candidates[0], {
    version: '1.1.0',
    status: 'awaiting_approval',
    verdict: 'skipped',
    reason: 'awaiting_approval',
    detail: 'Awaiting approval of its release: until then only the debug project "debug-proj" resolves it.'
  })
  const debug = (await explain('debug-proj')).json()
  t.match(debug.outcome, { kind: 'resolved', version: '1.1.0' })
  t.match(debug.candidates[0], { verdict: 'chosen', detail: /not released yet \(awaiting_approval\)/ })
})
