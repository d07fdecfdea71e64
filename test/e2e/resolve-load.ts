/**
 * A pipeline engine under load: `connections` keep-alive connections, each resolving the same path
 * one request after another until stopped. Every answer that is not 200 and every transport error
 * is counted and a few are kept, so a drill can say exactly what a client saw.
 */
import { Pool } from 'undici'

export interface LoadFigures {
  sent: number
  ok: number
  /** Non-200 answers by status. */
  statuses: Record<number, number>
  transportErrors: number
  /** How many 200 answers named each version. */
  versions: Record<string, number>
  /** The first few failures, as seen. */
  samples: string[]
}

export interface ResolveLoad {
  /** The figures so far (a copy). */
  figures(): LoadFigures
  stop(): Promise<LoadFigures>
}

const SAMPLES = 20

export interface ResolveLoadOptions {
  origin: string
  path: string
  token: string
  connections: number
  /** Each connection's pause between an answer and its next request. */
  pauseMs?: number
}

export function startResolveLoad(options: ResolveLoadOptions): ResolveLoad {
  const pool = new Pool(options.origin, { connections: options.connections })
  const figures: LoadFigures = { sent: 0, ok: 0, statuses: {}, transportErrors: 0, versions: {}, samples: [] }
  const sample = (what: string) => {
    if (figures.samples.length < SAMPLES) figures.samples.push(`${new Date().toISOString()} ${what}`)
  }
  let stopped = false

  const worker = async () => {
    while (!stopped) {
      figures.sent++
      try {
        const res = await pool.request({ method: 'GET', path: options.path, headers: { authorization: `Bearer ${options.token}` } })
        const text = await res.body.text()
        if (res.statusCode === 200) {
          figures.ok++
          const version = String((JSON.parse(text) as { version?: unknown }).version)
          figures.versions[version] = (figures.versions[version] ?? 0) + 1
        } else {
          figures.statuses[res.statusCode] = (figures.statuses[res.statusCode] ?? 0) + 1
          sample(`${res.statusCode} ${text.slice(0, 300)}`)
        }
      } catch (error) {
        figures.transportErrors++
        sample(`transport: ${(error as { code?: string }).code ?? ''} ${String(error)}`)
        // A broken pool must not spin.
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      if (options.pauseMs) await new Promise((resolve) => setTimeout(resolve, options.pauseMs))
    }
  }
  const workers = Array.from({ length: options.connections }, worker)

  const copy = (): LoadFigures => structuredClone(figures)
  let stopping: Promise<LoadFigures> | undefined
  return {
    figures: copy,
    stop() {
      stopped = true
      stopping ??= Promise.all(workers)
        .then(() => pool.close())
        .then(copy)
      return stopping
    }
  }
}

/** What happened between two readings of the figures. */
export function between(
  before: LoadFigures,
  after: LoadFigures
): Pick<LoadFigures, 'sent' | 'ok' | 'transportErrors'> & { non200: number } {
  const non200 = (f: LoadFigures) => Object.values(f.statuses).reduce((sum, n) => sum + n, 0)
  return {
    sent: after.sent - before.sent,
    ok: after.ok - before.ok,
    non200: non200(after) - non200(before),
    transportErrors: after.transportErrors - before.transportErrors
  }
}
