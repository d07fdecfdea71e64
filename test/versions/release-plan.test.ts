import t from 'tap'
import { build } from '../helpers/app.js'
import { action, getVersion, push, registryEnv, startTestRegistry } from './fixtures.js'
import { checkDetails, createImageWithRules, decide, eventsOf, release, testingVersion } from './approvals-fixtures.js'

const PLAN = { stages: [{ projects: ['early-a', 'early-b'] }, { percent: 10 }, { percent: 50 }], advanceAfter: '24h' }
const ROLLOUT_EVENTS = ['version.release_requested', 'version.approved', 'version.released', 'version.rollout_started']

t.test('release with a rollout plan', async (t) => {
  const registry = await startTestRegistry(t)
  for (const tag of ['v1', 'v2', 'v3', 'v4', 'v5']) await push(registry, 'team/plan', tag)
  const app = await build(t, { env: registryEnv(registry) })
  const at = (tag: string) => ({ registry: registry.host, repository: 'team/plan', tag })
  const rolloutOf = (code: string) =>
    app.app.db
      .selectFrom('versionRollouts')
      .innerJoin('images', 'images.id', 'versionRollouts.imageId')
      .select([
        'versionRollouts.plan',
        'versionRollouts.stage',
        'versionRollouts.state',
        'versionRollouts.startedBy',
        'versionRollouts.nextAdvanceAt'
      ])
      .where('images.code', '=', code)
      .executeTakeFirst()

  t.test('no approvals: released, and the rollout starts in the same request', async (t) => {
    const code = 'plan-now'
    await createImageWithRules(app, { code })
    await testingVersion(t, app, code, at('v1'))
    const res = await release(app, code, '1.0.0', { rollout: PLAN })
    t.equal(res.statusCode, 200, res.body)
    t.match(res.json(), { status: 'released', releasedBy: 'admin', releaseRequest: { by: 'admin', rollout: null } })
    const rollout = await rolloutOf(code)
    t.match(rollout, { plan: PLAN, stage: 0, state: 'rolling_out', startedBy: 'admin' })
    t.ok(rollout?.nextAdvanceAt, 'the automatic advance is scheduled')
    const events = await eventsOf(app, code, ...ROLLOUT_EVENTS)
    t.same(
      events.map((e) => e.action),
      ['version.released', 'version.rollout_started']
    )
    t.same(events[1]?.details, { stages: PLAN.stages, advanceAfter: '24h', stage: 0 })
    checkDetails(t, events)
  })

  t.test('no body, {} or no plan: released to everyone at once, as before plans', async (t) => {
    for (const [i, payload] of [undefined, {}].entries()) {
      const code = `plan-none-${i}`
      await createImageWithRules(app, { code })
      await testingVersion(t, app, code, at('v2'))
      const res = await release(app, code, '1.0.0', payload)
      t.equal(res.statusCode, 200, `${JSON.stringify(payload)}: ${res.body}`)
      t.equal(await rolloutOf(code), undefined, 'no rollout')
      t.same(
        (await eventsOf(app, code, ...ROLLOUT_EVENTS)).map((e) => e.action),
        ['version.released']
      )
    }
  })

  t.test('with approvals: the plan waits with the release and starts with the last approval', async (t) => {
    const code = 'plan-approved'
    await createImageWithRules(app, { code, approval: { required: 1, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at('v3'))
    const plan = { stages: [{ percent: 25 }] }
    const asked = await release(app, code, '1.0.0', { rollout: plan })
    t.equal(asked.statusCode, 202, asked.body)
    t.same(asked.json().releaseRequest.rollout, { stages: [{ percent: 25 }], advanceAfter: null }, 'absent advanceAfter is null')
    t.equal(await rolloutOf(code), undefined, 'nothing rolls out before the approval')
    const approver = await app.token({ name: 'approver', scopes: ['images:approve'], projects: ['web-ci'] })
    const approved = await decide(app, code, '1.0.0', 'approve', undefined, approver)
    t.equal(approved.statusCode, 200, approved.body)
    t.match(approved.json(), { status: 'released', releaseRequest: { by: 'admin', rollout: null } })
    t.match(await rolloutOf(code), { plan: { stages: [{ percent: 25 }], advanceAfter: null }, state: 'rolling_out', startedBy: 'approver' })
    const events = await eventsOf(app, code, ...ROLLOUT_EVENTS)
    t.same(
      events.map((e) => [e.action, e.actor]),
      [
        ['version.release_requested', 'admin'],
        ['version.approved', 'approver'],
        ['version.released', 'approver'],
        ['version.rollout_started', 'approver']
      ]
    )
    t.same(events[0]?.details.rollout, { stages: [{ percent: 25 }], advanceAfter: null })
    checkDetails(t, events)
  })

  t.test('a rejected release drops its plan', async (t) => {
    const code = 'plan-rejected'
    await createImageWithRules(app, { code, approval: { required: 1, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at('v4'))
    t.equal((await release(app, code, '1.0.0', { rollout: PLAN })).statusCode, 202)
    const approver = await app.token({ name: 'rejecter', scopes: ['images:approve'], projects: ['web-ci'] })
    t.equal((await decide(app, code, '1.0.0', 'reject', { reason: 'no' }, approver)).statusCode, 200)
    const row = await app.app.db
      .selectFrom('imageVersions')
      .innerJoin('images', 'images.id', 'imageVersions.imageId')
      .select(['imageVersions.releasePlan', 'imageVersions.releaseRequestedBy'])
      .where('images.code', '=', code)
      .executeTakeFirstOrThrow()
    t.same(row, { releasePlan: null, releaseRequestedBy: null })
    t.equal((await release(app, code, '1.0.0')).statusCode, 202, 'asked again without a plan')
    t.equal((await getVersion(app, code, '1.0.0')).releaseRequest?.rollout, null)
  })

  t.test('bad plans are 400 and change nothing', async (t) => {
    const code = 'plan-bad'
    await createImageWithRules(app, { code, approval: { required: 1, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at('v5'))
    const eleven = Array.from({ length: 11 }, (_, i) => ({ percent: i + 1 }))
    const malformed: unknown[] = [
      { rollout: null },
      { rollout: {} },
      { rollout: { stages: [] } },
      { rollout: { stages: eleven } },
      { rollout: { stages: [{}] } },
      { rollout: { stages: [{ projects: [] }] } },
      { rollout: { stages: [{ projects: ['Early A'] }] } },
      { rollout: { stages: [{ projects: ['a1', 'a1'] }] } },
      { rollout: { stages: [{ projects: Array.from({ length: 101 }, (_, i) => `p-${i}`) }] } },
      { rollout: { stages: [{ percent: 0 }] } },
      { rollout: { stages: [{ percent: 100 }] } },
      { rollout: { stages: [{ percent: 12.5 }] } },
      { rollout: { stages: [{ percent: '10' }] } },
      { rollout: { stages: [{ percent: 10, projects: ['a1'] }] } },
      { rollout: { stages: [{ percent: 10 }], advanceAfter: '0h' } },
      { rollout: { stages: [{ percent: 10 }], advanceAfter: 'soon' } },
      { rollout: { stages: [{ percent: 10 }], advanceAfter: 3600 } },
      { rollout: { stages: [{ percent: 10 }], extra: 1 } },
      { rollout: PLAN, extra: 1 },
      [PLAN]
    ]
    for (const payload of malformed) {
      const res = await release(app, code, '1.0.0', payload)
      t.equal(res.statusCode, 400, `${JSON.stringify(payload).slice(0, 80)} → 400`)
      t.equal(res.json().code, 'VALIDATION_FAILED')
    }
    const unworkable: [unknown, RegExp][] = [
      [{ stages: [{ projects: ['payments-sandbox'] }] }, /debug project/],
      [{ stages: [{ percent: 50 }, { percent: 10 }] }, /not more than the 50 %/],
      [{ stages: [{ projects: ['a1'] }, { projects: ['a1', 'b1'] }] }, /already reached in stage 1/],
      [{ stages: [{ percent: 10 }], advanceAfter: '400d' }, /at most 365 days/]
    ]
    for (const [rollout, detail] of unworkable) {
      const res = await release(app, code, '1.0.0', { rollout })
      t.equal(res.statusCode, 400)
      t.match(res.json(), { code: 'INVALID_ROLLOUT_PLAN', detail, hint: String })
    }
    const v = await getVersion(app, code, '1.0.0')
    t.match(v, { status: 'testing', releaseRequest: null })
    t.same(await eventsOf(app, code, ...ROLLOUT_EVENTS), [], 'no event')
  })

  t.test('withdrawing a version that rolls out ends its rollout, with one event', async (t) => {
    const code = 'plan-now'
    const res = await action(app, code, '1.0.0', 'withdraw', { reason: 'bad base image' })
    t.equal(res.statusCode, 200, res.body)
    t.match(await rolloutOf(code), { state: 'aborted', nextAdvanceAt: null })
    t.same(
      (await eventsOf(app, code, 'version.withdrawn', 'version.rollout_aborted')).map((e) => e.action),
      ['version.withdrawn']
    )
  })
})
