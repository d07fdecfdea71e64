import autocannon from 'autocannon'
import { setTimeout } from 'node:timers/promises'

export interface Target {
  label: string
  url: string
  headers: Record<string, string>
  connections: number
  /** A new path per request (random images), instead of the url's own. */
  path?: () => string
  /** Called just before each of the target's measured rounds (numbered from 0; not the warm-up). */
  before?: (round: number) => void
  /** Called after each measured round and the settle pause after it (so what the round left behind is in). */
  after?: (round: number) => void
  /** Each response's status, the warm-up's included. */
  onStatus?: (status: number) => void
}

export interface Figures {
  rps: number
  p50: number
  p99: number
  errors: number
}

/** Each figure is the median of the rounds' figures; `rounds` keeps them, in order. */
export interface Measured extends Figures {
  rounds: Figures[]
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50
  )

/**
 * The median with a distribution-free 95 % confidence interval: the order statistics between which
 * the true median lies with probability ≥ 95 %, since each sample falls below it with probability ½
 * (the binomial interval; no assumption about how the machine's noise is shaped). Needs 6 samples.
 */
export function medianInterval(values: number[]): { median: number; low: number; high: number } {
  const sorted = [...values].sort((a, b) => a - b)
  const n = sorted.length
  // P(fewer than k of n samples fall below the median) for Binomial(n, ½), k = 0, 1, …
  let below = 0
  let k = 0
  for (let term = 0.5 ** n; below + term <= 0.025; k++) {
    below += term
    term = (term * (n - k)) / (k + 1)
  }
  if (k === 0) throw new Error(`a 95 % interval for the median needs at least 6 samples, not ${n}`)
  return { median: percentile(sorted, 50), low: sorted[k - 1] as number, high: sorted[n - k] as number }
}

function options(target: Target, duration: number) {
  const path = target.path
  return {
    url: target.url,
    connections: target.connections,
    headers: target.headers,
    duration,
    ...(path ? { requests: [{ setupRequest: (r: { path?: string }) => ({ ...r, path: path() }) }] } : {})
  }
}

async function measureOnce(target: Target, seconds: number): Promise<Figures> {
  const times: number[] = []
  const run = autocannon(options(target, seconds))
  const onStatus = target.onStatus
  run.on('response', (_client, status, _bytes, ms) => {
    if (status === 200) times.push(ms)
    onStatus?.(status)
  })
  const result = await run
  times.sort((a, b) => a - b)
  return {
    rps: times.length / result.duration,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    errors: result.errors + result.timeouts + result.non2xx
  }
}

/**
 * Runs the targets in rounds after a warm-up of each: every round measures each target once, the
 * order rotating from round to round (A B C, B C A, C A B, …) so no target always follows the same
 * one, with a pause of `settleMs` after each. A machine that gets busier or quieter during the run
 * affects them alike, and each figure is the median round: a few disturbed rounds (another
 * process, a checkpoint) do not move it. `rounds` keeps each round's figures in round order, so figures of
 * one round (measured seconds apart) can be compared pairwise.
 * Latencies are recorded per response (autocannon's histogram has 1 ms steps, too coarse for
 * sub-millisecond p50s); errors count failed connections, timeouts and non-2xx (summed).
 */
export async function measureInRounds(
  targets: Target[],
  rounds: number,
  seconds: number,
  warmupSeconds: number,
  settleMs: number
): Promise<Map<string, Measured>> {
  for (const target of targets) {
    const warmup = autocannon(options(target, warmupSeconds))
    const onStatus = target.onStatus
    if (onStatus) warmup.on('response', (_client, status) => onStatus(status))
    await warmup
  }
  const perRound = new Map<string, Figures[]>(targets.map((t) => [t.label, []]))
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < targets.length; k++) {
      const target = targets[(round + k) % targets.length] as Target
      target.before?.(round)
      perRound.get(target.label)?.push(await measureOnce(target, seconds))
      // What a target leaves behind (the resolution log flushes every second, PostgreSQL writes it)
      // must not run during the next target's measurement.
      await setTimeout(settleMs)
      target.after?.(round)
    }
  }
  const measured = new Map<string, Measured>()
  for (const [label, figures] of perRound) {
    measured.set(label, {
      rps: median(figures.map((f) => f.rps)),
      p50: median(figures.map((f) => f.p50)),
      p99: median(figures.map((f) => f.p99)),
      errors: figures.reduce((sum, f) => sum + f.errors, 0),
      rounds: figures
    })
  }
  return measured
}
