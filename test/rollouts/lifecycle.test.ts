import t from 'tap'
import { build } from '../helpers/app.js'
import { insertImage, insertVersion } from '../resolve/fixtures.js'
import { checkDetails, rolloutEvents, rolloutUrl, rollingOut, startRolloutOf } from './fixtures.js'

const PLAN = { stages: [{ projects: ['early-a', 'early-b'] }, { percent: 10 }, { percent: 50 }], advanceAfter: '24h' }
const HOUR = 3_600_000

const near = (iso: string | null, expectedMs: number, slackMs = 5_000): boolean =>
  iso !== null && Math.abs(Date.parse(iso) - expectedMs) < slackMs

t.test('a rollout through the API', async (t) => {
  const app = await build(t)
  const owner = await app.token({ name: 'owner-pub', scopes: ['images:write', 'images:read'], projects: ['owner-proj'] })
  const post = (code: string, version: string, action: string, payload?: unknown, token = owner) =>
    app.call({ method: 'POST', url: rolloutUrl(code, version, action), token, ...(payload !== undefined ? { payload } : {}) })
  const get = (code: string, version: string, token = owner) => app.call({ method: 'GET', url: rolloutUrl(code, version), token })

  await t.test('getRollout: the plan, the stage, whom it reaches, what can be done', async (t) => {
    const before = Date.now()
    await rollingOut(app, 'ro-get', PLAN)
    const res = await get('ro-get', '1.1.0')
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.match(body, {
      imageCode: 'ro-get',
      version: '1.1.0',
      plan: PLAN,
      stage: 0,
      state: 'rolling_out',
      reached: { projects: ['early-a', 'early-b'], percent: 0 },
      allowedActions: ['advance', 'pause', 'abort'],
      startedBy: 'publisher',
      finishedAt: null
    })
    t.ok(near(body.stageStartedAt, before), 'the first stage started now')
    t.equal(body.startedAt, body.stageStartedAt)
    t.ok(near(body.nextAdvanceAt, Date.parse(body.stageStartedAt) + 24 * HOUR, 1), 'next advance: stage start + advanceAfter')

    const noVersion = await get('ro-get', '9.9.9')
    t.equal(noVersion.statusCode, 404)
    t.match(noVersion.json(), { code: 'VERSION_NOT_FOUND' })
    const noRollout = await get('ro-get', '1.0.0')
    t.equal(noRollout.statusCode, 404)
    t.match(noRollout.json(), { code: 'ROLLOUT_NOT_FOUND' })
    t.match(noRollout.json().detail, /released without a plan/)
    t.equal((await get('ro-get', 'one')).statusCode, 400)
    t.match((await get('no-such-image', '1.1.0')).json(), { code: 'IMAGE_NOT_FOUND' })
  })

  await t.test('advance: stage by stage, guarded by fromStage, to everyone (completed)', async (t) => {
    await rollingOut(app, 'ro-adv', PLAN)
    const first = await post('ro-adv', '1.1.0', 'advance')
    t.equal(first.statusCode, 200)
    t.match(first.json(), { stage: 1, state: 'rolling_out', reached: { projects: ['early-a', 'early-b'], percent: 10 } })
    t.ok(near(first.json().stageStartedAt, Date.now()), 'the new stage starts now')
    t.ok(near(first.json().nextAdvanceAt, Date.parse(first.json().stageStartedAt) + 24 * HOUR, 1), 'and lasts advanceAfter')

    const stale = await post('ro-adv', '1.1.0', 'advance', { fromStage: 0 })
    t.equal(stale.statusCode, 409, 'a second click on what was stage 0')
    t.match(stale.json(), {
      code: 'ROLLOUT_STATE_CONFLICT',
      state: 'rolling_out',
      stage: 1,
      allowedActions: ['advance', 'pause', 'abort']
    })
    t.match(stale.json().detail, /at stage 1, not 0/)
    t.equal((await get('ro-adv', '1.1.0')).json().stage, 1, 'nothing moved')

    t.match((await post('ro-adv', '1.1.0', 'advance', { fromStage: 1 })).json(), { stage: 2, reached: { percent: 50 } })
    const last = await post('ro-adv', '1.1.0', 'advance', {})
    t.equal(last.statusCode, 200)
    t.match(last.json(), {
      stage: 3,
      state: 'completed',
      nextAdvanceAt: null,
      reached: { projects: [], percent: 100 },
      allowedActions: []
    })
    t.ok(near(last.json().finishedAt, Date.now()))

    for (const [action, payload] of [
      ['advance', undefined],
      ['pause', undefined],
      ['resume', undefined],
      ['abort', { reason: 'late' }]
    ] as const) {
      const refused = await post('ro-adv', '1.1.0', action, payload)
      t.equal(refused.statusCode, 409, `${action} after completion`)
      t.match(refused.json(), { code: 'ROLLOUT_STATE_CONFLICT', state: 'completed', stage: 3, allowedActions: [] })
    }
    const version = await app.call({ method: 'GET', url: '/v1/images/ro-adv/versions/1.1.0', token: owner })
    t.equal(version.json().status, 'released', 'completed: plainly released')

    const events = await rolloutEvents(app, 'ro-adv')
    t.same(
      events.map((e) => [e.action, e.details]),
      [
        ['version.rollout_started', { stages: PLAN.stages, advanceAfter: '24h', stage: 0 }],
        ['version.rollout_advanced', { from: 0, to: 1, automatic: false }],
        ['version.rollout_advanced', { from: 1, to: 2, automatic: false }],
        ['version.rollout_completed', { stage: 3, automatic: false }]
      ]
    )
    checkDetails(t, events)
    t.match(events[1], { actor: 'owner-pub', actorProjects: ['owner-proj'], version: '1.1.0' })
    t.type(events[1]!.requestId, 'string', 'the request is recorded')
  })

  await t.test('pause stops the clock, resume restarts it, advance while paused stays paused', async (t) => {
    await rollingOut(app, 'ro-pause', PLAN)
    const paused = await post('ro-pause', '1.1.0', 'pause', { reason: 'error rate up in early-a' })
    t.equal(paused.statusCode, 200)
    t.match(paused.json(), { state: 'paused', stage: 0, nextAdvanceAt: null, allowedActions: ['advance', 'resume', 'abort'] })
    const again = await post('ro-pause', '1.1.0', 'pause')
    t.equal(again.statusCode, 409)
    t.match(again.json(), { code: 'ROLLOUT_STATE_CONFLICT', state: 'paused', stage: 0, allowedActions: ['advance', 'resume', 'abort'] })
    t.match(again.json().detail, /"pause" needs it to be rolling_out/)

    const stepped = await post('ro-pause', '1.1.0', 'advance', { fromStage: 0 })
    t.match(stepped.json(), { state: 'paused', stage: 1, nextAdvanceAt: null }, 'one stage by hand, clock still stopped')

    const resumed = await post('ro-pause', '1.1.0', 'resume')
    t.equal(resumed.statusCode, 200)
    t.match(resumed.json(), { state: 'rolling_out', stage: 1 })
    t.ok(near(resumed.json().nextAdvanceAt, Date.now() + 24 * HOUR), 'the stage lasts advanceAfter from now')
    t.equal((await post('ro-pause', '1.1.0', 'resume')).statusCode, 409, 'resume needs paused')
    t.equal((await post('ro-pause', '1.1.0', 'pause')).statusCode, 200, 'a pause without a reason')

    const events = (await rolloutEvents(app, 'ro-pause')).slice(1)
    t.same(
      events.map((e) => [e.action, e.details]),
      [
        ['version.rollout_paused', { stage: 0, reason: 'error rate up in early-a' }],
        ['version.rollout_advanced', { from: 0, to: 1, automatic: false }],
        ['version.rollout_resumed', { stage: 1, nextAdvanceAt: resumed.json().nextAdvanceAt }],
        ['version.rollout_paused', { stage: 1 }]
      ]
    )
    checkDetails(t, events)
  })

  await t.test('a plan without advanceAfter advances only by hand', async (t) => {
    await rollingOut(app, 'ro-manual', { stages: [{ percent: 20 }], advanceAfter: null })
    t.match((await get('ro-manual', '1.1.0')).json(), { nextAdvanceAt: null, reached: { percent: 20 } })
    t.match((await post('ro-manual', '1.1.0', 'pause')).json(), { nextAdvanceAt: null })
    t.match((await post('ro-manual', '1.1.0', 'resume')).json(), { state: 'rolling_out', nextAdvanceAt: null })
    t.match((await post('ro-manual', '1.1.0', 'advance')).json(), { state: 'completed', stage: 1 })
  })

  await t.test('abort: the reason is required; the rollout ends and the version is withdrawn, with one event', async (t) => {
    await rollingOut(app, 'ro-abort', PLAN)
    await post('ro-abort', '1.1.0', 'advance')
    for (const payload of [undefined, {}, { reason: '' }, { reason: 'x', extra: 1 }]) {
      const bad = await post('ro-abort', '1.1.0', 'abort', payload)
      t.equal(bad.statusCode, 400, JSON.stringify(payload))
    }
    t.equal((await get('ro-abort', '1.1.0')).json().state, 'rolling_out', 'nothing changed')

    const res = await post('ro-abort', '1.1.0', 'abort', { reason: 'breaks pnpm installs' })
    t.equal(res.statusCode, 200)
    t.match(res.json(), {
      state: 'aborted',
      stage: 1,
      nextAdvanceAt: null,
      reached: { projects: [], percent: 0 },
      allowedActions: []
    })
    t.ok(near(res.json().finishedAt, Date.now()))
    const version = (await app.call({ method: 'GET', url: '/v1/images/ro-abort/versions/1.1.0', token: owner })).json()
    t.match(version, {
      status: 'withdrawn',
      withdrawnBy: 'owner-pub',
      withdrawReason: 'breaks pnpm installs',
      statusReason: 'breaks pnpm installs',
      allowedActions: []
    })
    for (const action of ['advance', 'pause', 'resume'] as const) {
      t.match((await post('ro-abort', '1.1.0', action)).json(), { code: 'ROLLOUT_STATE_CONFLICT', state: 'aborted', allowedActions: [] })
    }
    t.match((await post('ro-abort', '1.1.0', 'abort', { reason: 'again' })).json(), { code: 'ROLLOUT_STATE_CONFLICT' })

    const events = (await rolloutEvents(app, 'ro-abort')).slice(2)
    t.same(
      events.map((e) => [e.action, e.details]),
      [['version.rollout_aborted', { from: 'released', to: 'withdrawn', stage: 1, reason: 'breaks pnpm installs' }]],
      'one event: no version.withdrawn besides'
    )
    checkDetails(t, events)
  })

  await t.test('actions on a version without a rollout, or without that version', async (t) => {
    const image = await insertImage(app.app.db, 'ro-none')
    await insertVersion(app.app.db, image, '1.0.0', 'released')
    await insertVersion(app.app.db, image, '1.1.0', 'testing')
    for (const [action, payload] of [
      ['advance', undefined],
      ['pause', undefined],
      ['resume', undefined],
      ['abort', { reason: 'x' }]
    ] as const) {
      t.match((await post('ro-none', '1.0.0', action, payload)).json(), { status: 404, code: 'ROLLOUT_NOT_FOUND' }, action)
      t.match((await post('ro-none', '1.1.0', action, payload)).json(), { status: 404, code: 'ROLLOUT_NOT_FOUND' }, action)
      t.match((await post('ro-none', '2.0.0', action, payload)).json(), { status: 404, code: 'VERSION_NOT_FOUND' }, action)
      t.match((await post('ro-none', '2.0', action, payload)).json(), { status: 400 }, action)
    }
  })

  await t.test('bodies are strict: no coercion, no unknown members', async (t) => {
    await rollingOut(app, 'ro-bodies', PLAN)
    const cases: [string, unknown][] = [
      ['advance', { fromStage: '0' }],
      ['advance', { fromStage: -1 }],
      ['advance', { fromStage: 0.5 }],
      ['advance', { stage: 0 }],
      ['advance', null],
      ['pause', { reason: '' }],
      ['pause', { reason: 7 }],
      ['pause', { why: 'x' }],
      ['abort', { reason: 'a\u0000b' }],
      ['abort', { reason: 'x'.repeat(1001) }]
    ]
    for (const [action, payload] of cases) {
      const res = await app.call({
        method: 'POST',
        url: rolloutUrl('ro-bodies', '1.1.0', action),
        token: owner,
        payload: JSON.stringify(payload),
        headers: { 'content-type': 'application/json' }
      })
      t.equal(res.statusCode, 400, `${action} ${JSON.stringify(payload)}`)
    }
    const resume = await app.call({ method: 'POST', url: rolloutUrl('ro-bodies', '1.1.0', 'resume'), token: owner, payload: { x: 1 } })
    t.equal(resume.statusCode, 409, 'resume takes no body: a body is ignored as on release, and the rollout is not paused')
    t.match((await get('ro-bodies', '1.1.0')).json(), { stage: 0, state: 'rolling_out' }, 'nothing changed')
    t.equal((await rolloutEvents(app, 'ro-bodies')).length, 1, 'no event but the start')
  })

  await t.test('who may read and who may act', async (t) => {
    await rollingOut(app, 'ro-private', PLAN, { image: { visibilityProjects: ['consumer'] } })
    await rollingOut(app, 'ro-public', PLAN, { image: { visibilityPublic: true } })
    const consumer = await app.token({ name: 'consumer', scopes: ['images:read', 'images:write'], projects: ['consumer'] })
    const stranger = await app.token({ name: 'stranger', scopes: ['images:read', 'images:write'], projects: ['stranger'] })
    const debug = await app.token({ name: 'debugger', scopes: ['images:read', 'images:write'], projects: ['debug-proj'] })
    const readOnly = await app.token({ name: 'owner-reader', scopes: ['images:read'], projects: ['owner-proj'] })
    const resolver = await app.token({ name: 'engine', scopes: ['resolve'], projects: null })

    t.equal((await get('ro-private', '1.1.0', consumer)).statusCode, 200, 'a project it is shared with reads it')
    t.equal((await get('ro-private', '1.1.0', debug)).statusCode, 200, 'the debug project reads it')
    t.match((await get('ro-private', '1.1.0', stranger)).json(), { status: 404, code: 'IMAGE_NOT_FOUND' }, 'private: not revealed')
    t.equal((await get('ro-public', '1.1.0', stranger)).statusCode, 200, 'public: anyone with images:read')
    t.match((await get('ro-public', '1.1.0', resolver)).json(), { status: 403, code: 'INSUFFICIENT_SCOPE' })

    const refusals: [string, string, string][] = [
      ['ro-private', consumer, 'NOT_IMAGE_OWNER'],
      ['ro-private', debug, 'NOT_IMAGE_OWNER'],
      ['ro-private', stranger, 'IMAGE_NOT_FOUND'],
      ['ro-public', stranger, 'NOT_IMAGE_OWNER'],
      ['ro-public', readOnly, 'INSUFFICIENT_SCOPE']
    ]
    for (const [code, token, problem] of refusals) {
      for (const [action, payload] of [
        ['advance', undefined],
        ['pause', undefined],
        ['resume', undefined],
        ['abort', { reason: 'x' }]
      ] as const) {
        const res = await post(code, '1.1.0', action, payload, token)
        t.match(res.json(), { code: problem }, `${code} ${action}`)
      }
    }
    t.match((await get('ro-private', '1.1.0')).json(), { state: 'rolling_out', stage: 0 }, 'nothing changed')
    t.equal((await rolloutEvents(app, 'ro-private')).length, 1)

    const res = await app.call({ method: 'POST', url: rolloutUrl('ro-private', '1.1.0', 'pause'), token: null })
    t.equal(res.statusCode, 401)
    t.equal((await post('ro-private', '1.1.0', 'pause', undefined, owner)).statusCode, 200, 'the owner project acts')
  })

  await t.test('listRollouts: active first, then newest first', async (t) => {
    const { image } = await rollingOut(app, 'ro-list', { stages: [{ percent: 10 }], advanceAfter: null }, { version: '1.1.0' })
    const db = app.app.db
    // 1.1.0 is still active though 1.2.0 started after it (and completed).
    const v120 = await insertVersion(db, image, '1.2.0', 'released')
    await startRolloutOf(app, image, v120.id, { stages: [{ percent: 10 }], advanceAfter: null })
    await post('ro-list', '1.2.0', 'advance')
    const list = await app.call({ method: 'GET', url: '/v1/images/ro-list/rollouts', token: owner })
    t.equal(list.statusCode, 200)
    t.same(
      list.json().items.map((r: { version: string; state: string }) => [r.version, r.state]),
      [
        ['1.1.0', 'rolling_out'],
        ['1.2.0', 'completed']
      ]
    )
    const one = await app.call({ method: 'GET', url: '/v1/images/ro-list/rollouts?limit=1', token: owner })
    t.equal(one.json().items.length, 1)
    for (const query of ['limit=0', 'limit=101', 'limit=x', 'state=paused']) {
      t.equal((await app.call({ method: 'GET', url: `/v1/images/ro-list/rollouts?${query}`, token: owner })).statusCode, 400, query)
    }
    const empty = await insertImage(db, 'ro-empty')
    t.same((await app.call({ method: 'GET', url: `/v1/images/${empty.code}/rollouts` })).json(), { items: [] })
    t.match((await app.call({ method: 'GET', url: '/v1/images/ro-nope/rollouts' })).json(), { status: 404, code: 'IMAGE_NOT_FOUND' })
  })
})
