// Which parts of a usage window come from the daily summary and which from the log: the pure rules.
import t from 'tap'
import fc from 'fast-check'
import { CLOSED_AFTER_MS, DAY_MS } from '../../src/resolution-log/log-partitions.js'
import { CLOCK_SKEW_MS, ROLLUP_DAYS_PER_RUN, daysToRollUp, usagePlan } from '../../src/resolution-log/usage-rollup.js'

const at = (iso: string) => new Date(iso)

t.test('closed days are summed in order from where the summing stopped, a few per run', async (t) => {
  const now = at('2026-12-02T00:59:59Z')
  t.same(daysToRollUp(at('2026-11-30T00:00:00Z'), undefined, now), [at('2026-11-30T00:00:00Z')], 'the 1st closes at 01:00')
  t.same(daysToRollUp(at('2026-11-30T00:00:00Z'), undefined, new Date(now.getTime() + 1000)).length, 2)
  t.same(daysToRollUp(undefined, at('2026-11-29T00:00:00Z'), now)[0], at('2026-11-29T00:00:00Z'), 'never summed: from the oldest day')
  t.same(daysToRollUp(undefined, undefined, now), [])
  t.equal(daysToRollUp(at('2026-01-01T00:00:00Z'), undefined, now).length, ROLLUP_DAYS_PER_RUN)
  t.equal(CLOSED_AFTER_MS, 3_600_000)
})

t.test("whole days from the summary, the first day's part and the days not summed from the log", async (t) => {
  const now = at('2026-12-02T12:00:00Z')
  const end = new Date(now.getTime() + CLOCK_SKEW_MS)
  t.same(usagePlan(at('2026-11-02T12:00:00Z'), at('2026-12-01T00:00:00Z'), now), {
    summed: { from: at('2026-11-03T00:00:00Z'), to: at('2026-12-01T00:00:00Z') },
    raw: [
      { from: at('2026-11-02T12:00:00Z'), to: at('2026-11-03T00:00:00Z') },
      { from: at('2026-12-01T00:00:00Z'), to: end }
    ]
  })
  t.same(
    usagePlan(at('2026-11-03T00:00:00Z'), at('2026-12-01T00:00:00Z'), now).raw,
    [{ from: at('2026-12-01T00:00:00Z'), to: end }],
    'since at midnight'
  )
  t.same(usagePlan(at('2026-11-30T06:00:00Z'), undefined, now), { raw: [{ from: at('2026-11-30T06:00:00Z'), to: end }] }, 'never summed')
  t.same(
    usagePlan(at('2026-12-01T06:00:00Z'), at('2026-12-01T00:00:00Z'), now),
    { raw: [{ from: at('2026-12-01T06:00:00Z'), to: end }] },
    'inside the days not summed'
  )
})

t.test('the parts cover the window exactly once, whatever the window and the mark', async () => {
  const base = at('2026-06-01T00:00:00Z').getTime()
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 90 * 24 }), fc.integer({ min: 0, max: 90 }), (sinceHours, rolledDays) => {
      const now = new Date(base + 90 * DAY_MS)
      const since = new Date(now.getTime() - sinceHours * 3_600_000)
      const rolledUntil = new Date(base + rolledDays * DAY_MS)
      const plan = usagePlan(since, rolledUntil, now)
      const parts = [...plan.raw, ...(plan.summed ? [plan.summed] : [])].sort((a, b) => a.from.getTime() - b.from.getTime())
      const contiguous = parts.every((p, i) => i === 0 || p.from.getTime() === parts[i - 1]!.to.getTime())
      const summedWhole = !plan.summed || (plan.summed.from.getTime() % DAY_MS === 0 && plan.summed.to.getTime() <= rolledUntil.getTime())
      return (
        contiguous &&
        parts[0]!.from.getTime() === since.getTime() &&
        parts.at(-1)!.to.getTime() === now.getTime() + CLOCK_SKEW_MS &&
        summedWhole
      )
    })
  )
})
