// How long a check that met a transient failure (registry down, rate limit) waits before its next
// attempt. Pure: the worker passes the attempt number and, for tests, the random source.

export interface BackoffOptions {
  baseMs: number
  maxMs: number
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 2_000, maxMs: 5 * 60_000 }

// A registry's Retry-After is honoured, but not beyond this: a hostile or broken value must not
// park a check for days.
export const MAX_RETRY_AFTER_MS = 60 * 60_000

/**
 * Exponential backoff with "equal jitter" (half fixed, half random) so replicas that failed
 * together do not retry together: attempt 1 → base/2..base, attempt 2 → base..2·base, … capped at
 * maxMs. A registry's retryAfterMs is a floor.
 */
export function retryDelayMs(
  attempt: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random
): number {
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1))
  const jittered = exponential / 2 + (exponential / 2) * random()
  const floor = Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS)
  return Math.round(Math.max(jittered, floor))
}
