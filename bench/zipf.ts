// The job-start workload's skew: a few images serve most job starts. Pure and seeded, so two
// targets (and two runs) given the same seed ask for the same sequence of images.

/** mulberry32: a small 32-bit PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Ranks 1…n drawn with probability proportional to 1 / rank^s (Zipf). The cumulative distribution
 * is computed once; each draw is a binary search in it.
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  const cdf = new Float64Array(n)
  let total = 0
  for (let rank = 1; rank <= n; rank++) {
    total += 1 / rank ** s
    cdf[rank - 1] = total
  }
  for (let i = 0; i < n; i++) cdf[i] = (cdf[i] as number) / total
  return () => {
    const u = random()
    // The first rank whose cumulative probability exceeds u.
    let low = 0
    let high = n - 1
    while (low < high) {
      const mid = (low + high) >>> 1
      if ((cdf[mid] as number) > u) high = mid
      else low = mid + 1
    }
    return low + 1
  }
}
