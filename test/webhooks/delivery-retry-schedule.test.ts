import t from 'tap'
import { DEFAULT_RETRY_SCHEDULE, maxAttempts, nextRetryDelayMs, type RetrySchedule } from '../../src/webhooks/delivery/retry-schedule.js'

/** mulberry32: a seeded source, so a failure here can be replayed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), a | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const HOUR = 3_600_000
const schedule: RetrySchedule = { delaysMs: [1000, 10_000, 100_000], jitter: 0.5, maxRetryAfterMs: 30_000 }

t.test('each step is drawn between half and one and a half times its nominal wait', async (t) => {
  t.same(
    [1, 2, 3].map((n) => nextRetryDelayMs(schedule, n, undefined, () => 0)),
    [500, 5000, 50_000]
  )
  t.same(
    [1, 2, 3].map((n) => nextRetryDelayMs(schedule, n, undefined, () => 0.999999)),
    [1500, 15_000, 150_000]
  )
  const random = seeded(16)
  const outside: string[] = []
  for (let i = 0; i < 1000; i++) {
    const n = 1 + (i % 3)
    const delay = nextRetryDelayMs(schedule, n, undefined, random) ?? -1
    const nominal = schedule.delaysMs[n - 1] ?? 0
    if (delay < nominal / 2 || delay > nominal * 1.5) outside.push(`attempt ${n}: ${delay} ms`)
  }
  t.same(outside, [], 'every seeded draw within the band')
})

t.test('jitter spreads deliveries that failed together', async (t) => {
  const random = seeded(7)
  const delays = new Set(Array.from({ length: 100 }, () => nextRetryDelayMs(schedule, 2, undefined, random)))
  t.ok(delays.size > 90, `${delays.size} distinct waits of 100`)
})

t.test('the schedule used up: no further attempt', async (t) => {
  t.equal(nextRetryDelayMs(schedule, 4), undefined)
  t.equal(nextRetryDelayMs(schedule, 0), undefined)
  t.equal(maxAttempts(schedule), 4)
})

t.test('Retry-After longer than the step is honoured, within its bound; shorter does not hurry', async (t) => {
  t.equal(
    nextRetryDelayMs(schedule, 1, 20_000, () => 0.5),
    20_000
  )
  t.equal(
    nextRetryDelayMs(schedule, 1, 10 * HOUR, () => 0.5),
    30_000
  )
  t.equal(
    nextRetryDelayMs(schedule, 2, 1000, () => 0.5),
    10_000
  )
  t.equal(
    nextRetryDelayMs(schedule, 1, -5, () => 0.5),
    1000
  )
  t.equal(nextRetryDelayMs(schedule, 4, 1000), undefined, 'Retry-After does not extend a used-up schedule')
})

t.test('the production schedule: Standard Webhooks steps, about three days in all', async (t) => {
  t.same(DEFAULT_RETRY_SCHEDULE.delaysMs.slice(0, 6), [5000, 300_000, 1_800_000, 2 * HOUR, 5 * HOUR, 10 * HOUR])
  const nominal = DEFAULT_RETRY_SCHEDULE.delaysMs.reduce((a, b) => a + b, 0)
  t.ok(nominal > 2.5 * 24 * HOUR && nominal < 3.5 * 24 * HOUR, `nominal span ${(nominal / HOUR).toFixed(1)} h`)
  const random = seeded(42)
  const spans = Array.from({ length: 200 }, () => {
    let total = 0
    for (let n = 1; n < maxAttempts(DEFAULT_RETRY_SCHEDULE); n++)
      total += nextRetryDelayMs(DEFAULT_RETRY_SCHEDULE, n, undefined, random) ?? 0
    return total / HOUR
  })
  const [shortest, longest] = [Math.min(...spans), Math.max(...spans)]
  t.ok(shortest > 48 && longest < 96, `gives up after ${shortest.toFixed(1)}–${longest.toFixed(1)} h`)
})
