import t from 'tap'
import { MAX_RETRY_AFTER_MS, retryDelayMs } from '../../src/checks/retry-backoff.js'

const options = { baseMs: 1000, maxMs: 60_000 }

t.test('doubles per attempt, between half and all of the step', async (t) => {
  t.same(
    [1, 2, 3, 4].map((n) => retryDelayMs(n, undefined, options, () => 0)),
    [500, 1000, 2000, 4000]
  )
  t.same(
    [1, 2, 3, 4].map((n) => retryDelayMs(n, undefined, options, () => 1)),
    [1000, 2000, 4000, 8000]
  )
  t.equal(
    retryDelayMs(2, undefined, options, () => 0.5),
    1500
  )
})

t.test('caps at maxMs', async (t) => {
  t.equal(
    retryDelayMs(30, undefined, options, () => 1),
    60_000
  )
  t.equal(
    retryDelayMs(30, undefined, options, () => 0),
    30_000
  )
})

t.test("honours the registry's Retry-After as a floor, within reason", async (t) => {
  t.equal(
    retryDelayMs(1, 45_000, options, () => 0),
    45_000
  )
  t.equal(
    retryDelayMs(4, 10, options, () => 1),
    8000,
    'a shorter Retry-After does not shorten the backoff'
  )
  t.equal(
    retryDelayMs(1, 7 * 24 * 3600_000, options, () => 0),
    MAX_RETRY_AFTER_MS
  )
})
