import autocannon from 'autocannon'

export interface Target {
  label: string
  url: string
  headers: Record<string, string>
  connections: number
  /** A new path per request (random images), instead of the url's own. */
  path?: () => string
}

export interface Figures {
  rps: number
  p50: number
  p99: number
  errors: number
}

interface Samples {
  times: number[]
  seconds: number
  errors: number
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN

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

/**
 * Runs the targets in alternating rounds, so a machine that gets busier or quieter during the run
 * affects them alike. Latencies are recorded per response (autocannon's histogram has 1 ms steps,
 * too coarse for sub-millisecond p50s); errors count failed connections, timeouts and non-2xx.
 */
export async function measureInRounds(targets: Target[], rounds: number, seconds: number, warmupSeconds: number): Promise<Map<string, Figures>> {
  for (const target of targets) await autocannon(options(target, warmupSeconds))
  const samples = new Map<string, Samples>(targets.map((t) => [t.label, { times: [], seconds: 0, errors: 0 }]))
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) {
      const s = samples.get(target.label) as Samples
      const run = autocannon(options(target, seconds))
      run.on('response', (_client, status, _bytes, ms) => {
        if (status === 200) s.times.push(ms)
      })
      const result = await run
      s.seconds += result.duration
      s.errors += result.errors + result.timeouts + result.non2xx
    }
  }
  const figures = new Map<string, Figures>()
  for (const [label, s] of samples) {
    s.times.sort((a, b) => a - b)
    figures.set(label, { rps: s.times.length / s.seconds, p50: percentile(s.times, 50), p99: percentile(s.times, 99), errors: s.errors })
  }
  return figures
}
