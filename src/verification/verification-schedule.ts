// When a verification job is due again. Pure: the worker passes the random source.

/** Each run lands uniformly within a quarter of the interval either way, so versions spread out. */
export function jitteredIntervalMs(intervalMs: number, random: () => number = Math.random): number {
  return Math.round(intervalMs * (0.75 + 0.5 * random()))
}

/**
 * After a verification that reached the registry: the confirmation look after a first 404 comes
 * after the confirm delay (never later than the regular run would), otherwise one jittered interval.
 */
export function nextVerificationDelayMs(
  next: 'interval' | 'confirm',
  options: { intervalMs: number; confirmDelayMs: number },
  random: () => number = Math.random
): number {
  const interval = jitteredIntervalMs(options.intervalMs, random)
  return next === 'confirm' ? Math.min(options.confirmDelayMs, interval) : interval
}
