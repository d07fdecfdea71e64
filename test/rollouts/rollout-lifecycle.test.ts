import t from 'tap'
import { advanceFrom, allowedRolloutActions, nextAdvanceAt, ROLLOUT_STATES } from '../../src/rollouts/rollout-lifecycle.js'
import type { RolloutPlan } from '../../src/versions/rollout-plan.js'

const plan: RolloutPlan = { stages: [{ projects: ['early-a'] }, { percent: 10 }, { percent: 50 }], advanceAfter: '2h' }

t.test('actions allowed in each state', async (t) => {
  t.same(Object.fromEntries(ROLLOUT_STATES.map((s) => [s, allowedRolloutActions(s)])), {
    rolling_out: ['advance', 'pause', 'abort'],
    paused: ['advance', 'resume', 'abort'],
    completed: [],
    aborted: []
  })
})

t.test('advancing goes stage by stage, and past the last listed stage to everyone (completed)', async (t) => {
  t.same(advanceFrom(plan, 0, 'rolling_out'), { stage: 1, state: 'rolling_out' })
  t.same(advanceFrom(plan, 1, 'rolling_out'), { stage: 2, state: 'rolling_out' })
  t.same(advanceFrom(plan, 2, 'rolling_out'), { stage: 3, state: 'completed' })
  t.same(advanceFrom(plan, 1, 'paused'), { stage: 2, state: 'paused' }, 'a paused rollout stays paused')
  t.same(advanceFrom(plan, 2, 'paused'), { stage: 3, state: 'completed' }, 'but completes')
  t.same(advanceFrom({ stages: [{ percent: 5 }], advanceAfter: null }, 0, 'rolling_out'), { stage: 1, state: 'completed' })
})

t.test('the next automatic advance is advanceAfter after the stage started, only while rolling out', async (t) => {
  const from = new Date('2026-12-01T10:00:00.000Z')
  t.equal(nextAdvanceAt(plan, 'rolling_out', from)?.toISOString(), '2026-12-01T12:00:00.000Z')
  t.equal(nextAdvanceAt({ ...plan, advanceAfter: '1s' }, 'rolling_out', from)?.toISOString(), '2026-12-01T10:00:01.000Z')
  t.equal(nextAdvanceAt({ ...plan, advanceAfter: '3d' }, 'rolling_out', from)?.toISOString(), '2026-12-04T10:00:00.000Z')
  t.equal(nextAdvanceAt(plan, 'paused', from), null)
  t.equal(nextAdvanceAt(plan, 'completed', from), null)
  t.equal(nextAdvanceAt(plan, 'aborted', from), null)
  t.equal(nextAdvanceAt({ ...plan, advanceAfter: null }, 'rolling_out', from), null)
})
