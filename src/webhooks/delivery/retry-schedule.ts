// When a failed delivery is tried again. Pure: the worker passes the attempt number, the
// receiver's Retry-After and, in tests, the random source.

export interface RetrySchedule {
  /** The wait after the first, second, … failed attempt; once used up the delivery has failed. */
  delaysMs: readonly number[]
  /** Spread of each wait, as a fraction of it: 0.5 draws from 50 % to 150 % of the step. */
  jitter: number
  /** A receiver's Retry-After is honoured up to this. */
  maxRetryAfterMs: number
}

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/**
 * The Standard Webhooks (Svix) steps, with the ten-hour step repeated so the attempts span about
 * three days: a receiver down for a weekend still gets everything once it is back.
 */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = {
  delaysMs: [5 * SECOND, 5 * MINUTE, 30 * MINUTE, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR, 10 * HOUR, 10 * HOUR, 10 * HOUR, 10 * HOUR],
  jitter: 0.5,
  maxRetryAfterMs: 10 * HOUR
}

/** The number of attempts a delivery gets before it is given up. */
export function maxAttempts(schedule: RetrySchedule): number {
  return schedule.delaysMs.length + 1
}

/**
 * The wait before the next attempt after `failedAttempts` attempts failed, or undefined when the
 * schedule is used up. Each step is jittered around its nominal value, so deliveries that failed
 * together (a receiver's outage) do not all come back in the same second, while the whole schedule
 * keeps its length on average; full jitter would sometimes retry at once and halve the span. A
 * Retry-After asking for longer than the step is honoured, up to maxRetryAfterMs; one asking for
 * less does not bring the attempt forward.
 */
export function nextRetryDelayMs(
  schedule: RetrySchedule,
  failedAttempts: number,
  retryAfterMs?: number,
  random: () => number = Math.random
): number | undefined {
  const step = schedule.delaysMs[failedAttempts - 1]
  if (step === undefined || failedAttempts < 1) return undefined
  const jittered = step * (1 - schedule.jitter + 2 * schedule.jitter * random())
  const floor = Math.min(Math.max(0, retryAfterMs ?? 0), schedule.maxRetryAfterMs)
  return Math.round(Math.max(jittered, floor))
}
