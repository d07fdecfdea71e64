import t from 'tap'
import type { ImageSnapshot } from '../../src/resolve/image-snapshot.js'
import { DEBUG_VARIANT, ResolutionMemo, variantOf } from '../../src/resolve/resolution-memo.js'
import type { Resolution } from '../../src/resolve/resolve.schemas.js'
import { reachOf } from '../../src/rollouts/rollout-reach.js'
import type { RolloutPlan } from '../../src/versions/rollout-plan.js'

const image = (rollouts: RolloutPlan[]): ImageSnapshot => {
  const rollingOut = rollouts.map((plan, i) => ({
    major: 1,
    minor: i,
    patch: 0,
    status: 'released' as const,
    registry: 'r',
    repository: 'x',
    tag: `1.${i}.0`,
    digest: 'sha256:x',
    platforms: [],
    credential: null,
    withdrawReason: null,
    drift: null,
    unavailable: null,
    rollout: Object.freeze({ state: 'rolling_out' as const, stage: 0, stages: plan.stages.length, reach: reachOf(plan, 0) })
  }))
  return {
    id: '0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55',
    code: 'tools',
    ownerProject: 'owner',
    debugProject: 'debug',
    visibilityPublic: true,
    visibilityProjects: [],
    credential: null,
    versions: rollingOut,
    rollingOut
  }
}
const answer = (version: string) => ({ version }) as Resolution

t.test('the variant: the debug project, one bit per rollout reaching the project, 0 without a rollout', async (t) => {
  const plain = image([])
  t.equal(variantOf(plain, 'payments', false), 0)
  t.equal(variantOf(plain, 'debug', true), DEBUG_VARIANT)
  const two = image([
    { stages: [{ projects: ['a', 'b'] }], advanceAfter: null },
    { stages: [{ projects: ['b', 'c'] }], advanceAfter: null }
  ])
  t.same(
    ['a', 'b', 'c', 'd'].map((p) => variantOf(two, p, false)),
    [0b01, 0b11, 0b10, 0]
  )
  t.equal(variantOf(two, 'debug', true), DEBUG_VARIANT, 'every rollout reaches the debug project')
  const everyone = image([{ stages: [{ percent: 100 }], advanceAfter: null }])
  t.equal(variantOf(everyone, 'anyone', false), 1, 'a last percent stage reaches everyone')
  t.equal(variantOf(image(Array.from({ length: 31 }, () => ({ stages: [{ percent: 5 }], advanceAfter: null }))), 'a', false), undefined)
})

t.test('answers are kept apart by variant; an unmemoizable one is not kept', async (t) => {
  const memo = new ResolutionMemo()
  const snapshot = image([{ stages: [{ projects: ['early'] }], advanceAfter: null }])
  const early = memo.variant(snapshot, 'early', false)
  const late = memo.variant(snapshot, 'late', false)
  t.not(early, late)
  t.equal(memo.variant(snapshot, 'early', false), early, 'remembered for the snapshot')
  memo.set(snapshot, '1.latest', early, answer('1.0.0'))
  memo.set(snapshot, '1.latest', late, answer('0.9.0'))
  memo.set(snapshot, '1.latest', DEBUG_VARIANT, answer('1.1.0'))
  t.equal(memo.get(snapshot, '1.latest', early)?.version, '1.0.0')
  t.equal(memo.get(snapshot, '1.latest', late)?.version, '0.9.0')
  t.equal(memo.get(snapshot, '1.latest', DEBUG_VARIANT)?.version, '1.1.0')
  t.equal(memo.get(snapshot, '1.latest', undefined), undefined)
  t.ok(Object.isFrozen(memo.set(snapshot, 'latest', undefined, answer('1.0.0'))))
  t.equal(memo.get(snapshot, 'latest', undefined), undefined)
  t.equal(memo.get(image([]), '1.latest', 0), undefined, 'another snapshot has its own')
})

t.test('bounded per snapshot', async (t) => {
  const memo = new ResolutionMemo()
  const snapshot = image([])
  for (let i = 0; i < 64; i++) memo.set(snapshot, `${i}.latest`, i % 2 === 0 ? 0 : DEBUG_VARIANT, answer(`${i}.0.0`))
  t.equal(memo.get(snapshot, '63.latest', DEBUG_VARIANT)?.version, '63.0.0')
  memo.set(snapshot, '64.latest', 0, answer('64.0.0'))
  t.equal(memo.get(snapshot, '0.latest', 0), undefined, 'full: started over')
  t.equal(memo.get(snapshot, '64.latest', 0)?.version, '64.0.0')
})
