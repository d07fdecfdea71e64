// The rollout's two ends in versions/: a release with a plan starts it (in the release's
// transaction), a withdrawal ends it. Both through the versions routes, with rollouts' implementation.
import t from 'tap'
import { build } from '../helpers/app.js'
import { insertImage, insertVersion } from '../resolve/fixtures.js'
import { checkDetails, rolloutEvents, rolloutUrl } from './fixtures.js'

const PLAN = { stages: [{ projects: ['early-a'] }, { percent: 25 }], advanceAfter: '6h' }

t.test('release with a plan, then withdraw', async (t) => {
  const app = await build(t)
  const image = await insertImage(app.app.db, 'rel-plan')
  await insertVersion(app.app.db, image, '1.0.0', 'released')
  await insertVersion(app.app.db, image, '1.1.0', 'testing', { testingSince: new Date(Date.now() - 60_000) })
  const release = (payload: unknown) => app.call({ method: 'POST', url: '/v1/images/rel-plan/versions/1.1.0/release', payload })

  await t.test('a plan that cannot be carried out is a 400 with a hint, and changes nothing', async (t) => {
    const cases: [unknown, RegExp][] = [
      [{ rollout: { stages: [{ projects: ['debug-proj'] }], advanceAfter: null } }, /debug project/],
      [{ rollout: { stages: [{ percent: 50 }, { percent: 20 }], advanceAfter: '1h' } }, /not more than the 50 %/],
      [{ rollout: { stages: [{ projects: ['a1'] }, { projects: ['a1'] }], advanceAfter: '1h' } }, /already reached in stage 1/],
      [{ rollout: { stages: [{ percent: 20 }], advanceAfter: '9999d' } }, /at most 365 days/]
    ]
    for (const [payload, detail] of cases) {
      const res = await release(payload)
      t.equal(res.statusCode, 400)
      t.match(res.json(), { code: 'INVALID_ROLLOUT_PLAN', detail })
      t.type(res.json().hint, 'string')
    }
    const version = await app.call({ method: 'GET', url: '/v1/images/rel-plan/versions/1.1.0' })
    t.equal(version.json().status, 'testing')
    t.equal((await app.call({ method: 'GET', url: rolloutUrl('rel-plan', '1.1.0') })).json().code, 'ROLLOUT_NOT_FOUND')
    t.same(await rolloutEvents(app, 'rel-plan'), [])
  })

  await t.test('the release starts the rollout in its transaction', async (t) => {
    const res = await release({ rollout: PLAN })
    t.equal(res.statusCode, 200)
    t.equal(res.json().status, 'released')
    const rollout = (await app.call({ method: 'GET', url: rolloutUrl('rel-plan', '1.1.0') })).json()
    t.match(rollout, { plan: PLAN, stage: 0, state: 'rolling_out', startedBy: 'admin', reached: { projects: ['early-a'], percent: 0 } })
    t.equal(Date.parse(rollout.nextAdvanceAt) - Date.parse(rollout.stageStartedAt), 6 * 3_600_000)
    const events = await rolloutEvents(app, 'rel-plan')
    t.same(
      events.map((e) => [e.action, e.details]),
      [
        ['version.released', { from: 'testing', to: 'released' }],
        ['version.rollout_started', { stages: PLAN.stages, advanceAfter: '6h', stage: 0 }]
      ]
    )
    t.equal(events[0]!.requestId, events[1]!.requestId, 'one request')
    checkDetails(t, events)
  })

  await t.test('withdrawing a version that rolls out ends its rollout, with the withdrawal as the only event', async (t) => {
    const res = await app.call({
      method: 'POST',
      url: '/v1/images/rel-plan/versions/1.1.0/withdraw',
      payload: { reason: 'CVE in openssl' }
    })
    t.equal(res.statusCode, 200)
    const rollout = (await app.call({ method: 'GET', url: rolloutUrl('rel-plan', '1.1.0') })).json()
    t.match(rollout, { state: 'aborted', stage: 0, nextAdvanceAt: null, allowedActions: [], reached: { projects: [], percent: 0 } })
    t.type(rollout.finishedAt, 'string')
    const events = (await rolloutEvents(app, 'rel-plan')).slice(2)
    t.same(
      events.map((e) => e.action),
      ['version.withdrawn']
    )
    const advance = await app.call({ method: 'POST', url: rolloutUrl('rel-plan', '1.1.0', 'advance') })
    t.match(advance.json(), { status: 409, code: 'ROLLOUT_STATE_CONFLICT', state: 'aborted' })
  })
})
