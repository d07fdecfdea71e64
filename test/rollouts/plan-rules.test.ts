import t from 'tap'
import { ProblemError } from '../../src/http/problem.js'
import { validatePlan } from '../../src/rollouts/plan-rules.js'
import type { RolloutPlan } from '../../src/versions/rollout-plan.js'

const image = { debugProject: 'debug-proj' }
const plan = (stages: RolloutPlan['stages'], advanceAfter: string | null = '24h'): RolloutPlan => ({ stages, advanceAfter })

/** The problem validatePlan throws (code and hint), or undefined when it accepts the plan. */
function refusal(p: RolloutPlan): { code: string; status: number; detail: string; hint: unknown } | undefined {
  try {
    validatePlan(p, image)
    return undefined
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error
    return { code: error.code, status: error.status, detail: error.message, hint: error.extensions.hint }
  }
}

t.test('plans that can be carried out', async (t) => {
  const good: RolloutPlan[] = [
    plan([{ projects: ['early-a', 'early-b'] }, { percent: 10 }, { percent: 50 }]),
    plan([{ percent: 1 }], null),
    plan([{ percent: 99 }], '1s'),
    plan([{ projects: ['a1'] }, { projects: ['b1'] }, { percent: 5 }, { projects: ['c1'] }, { percent: 6 }], '30m'),
    plan(
      Array.from({ length: 10 }, (_, i) => ({ percent: i + 1 })),
      '2d'
    ),
    plan([{ projects: Array.from({ length: 100 }, (_, i) => `p${i}`) }], '365d')
  ]
  for (const p of good) t.equal(refusal(p), undefined, JSON.stringify(p).slice(0, 80))
})

t.test('each broken rule is a 400 INVALID_ROLLOUT_PLAN with a hint naming the fix', async (t) => {
  const cases: [string, RolloutPlan, RegExp][] = [
    ['no stage', plan([]), /1–10 stages; this one has 0/],
    ['eleven stages', plan(Array.from({ length: 11 }, (_, i) => ({ percent: i + 1 }))), /1–10 stages; this one has 11/],
    ['empty projects stage', plan([{ projects: [] }]), /Stage 1 lists 0 projects/],
    ['101 projects', plan([{ projects: Array.from({ length: 101 }, (_, i) => `p${i}`) }]), /lists 101 projects/],
    ['a project twice in one stage', plan([{ projects: ['a1', 'a1'] }]), /"a1" twice/],
    [
      'a project again in a later stage',
      plan([{ projects: ['a1'] }, { percent: 10 }, { projects: ['b1', 'a1'] }]),
      /Stage 3 .*"a1", already reached in stage 1/
    ],
    ['the debug project', plan([{ projects: ['early-a', 'debug-proj'] }]), /debug project/],
    ['percent 0', plan([{ percent: 0 }]), /percent 0; a percent stage is a whole number 1–99/],
    ['percent 100', plan([{ percent: 100 }]), /percent 100/],
    ['fractional percent', plan([{ percent: 12.5 }]), /percent 12.5/],
    ['percent not increasing', plan([{ percent: 10 }, { percent: 10 }]), /Stage 2 has percent 10, not more than the 10 %/],
    ['percent decreasing', plan([{ percent: 50 }, { projects: ['a1'] }, { percent: 20 }]), /Stage 3 has percent 20/],
    ['both kinds in one stage', plan([{ projects: ['a1'], percent: 5 } as never]), /neither/],
    ['neither kind', plan([{} as never]), /neither/],
    ['advanceAfter without unit', plan([{ percent: 5 }], '24'), /advanceAfter "24"/],
    ['advanceAfter in ms', plan([{ percent: 5 }], '500ms'), /advanceAfter "500ms"/],
    ['advanceAfter zero', plan([{ percent: 5 }], '0h'), /advanceAfter "0h"/],
    ['advanceAfter with a leading zero', plan([{ percent: 5 }], '01h'), /advanceAfter "01h"/],
    ['advanceAfter over a year', plan([{ percent: 5 }], '366d'), /at most 365 days/],
    ['advanceAfter absurdly long', plan([{ percent: 5 }], `${'9'.repeat(40)}d`), /at most 365 days/]
  ]
  for (const [name, p, detail] of cases) {
    const problem = refusal(p)
    t.equal(problem?.code, 'INVALID_ROLLOUT_PLAN', name)
    t.equal(problem?.status, 400, name)
    t.match(problem?.detail, detail, name)
    t.type(problem?.hint, 'string', `${name}: a hint`)
  }
})

t.test('the debug project is refused with the reason: it always gets the version', async (t) => {
  t.match(refusal(plan([{ projects: ['debug-proj'] }]))?.hint, /always gets the version/)
  t.equal(refusal(plan([{ projects: ['debug-proj'] }]))?.code, 'INVALID_ROLLOUT_PLAN')
  t.equal(validatePlan(plan([{ projects: ['debug-proj'] }]), { debugProject: 'other-debug' }), undefined, 'another image: fine')
})
