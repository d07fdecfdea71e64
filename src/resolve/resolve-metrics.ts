import type { Registry } from 'prom-client'
import { ProblemError } from '../http/problem.js'
import { BoundCounter, BoundHistogram, type CounterSeries, type HistogramSeries } from '../metrics/bound-metrics.js'

export const RESOLVE_OUTCOMES = ['fresh', 'stale', 'not_found', 'gone', 'invalid', 'failed'] as const
export type ResolveOutcome = (typeof RESOLVE_OUTCOMES)[number]

const BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1]

/** What each refusal means to an operator: a spec nobody can serve, a version withdrawn or unavailable, a bad request. */
function outcomeOf(error: unknown): ResolveOutcome {
  if (!(error instanceof ProblemError)) return 'failed'
  if (error.status === 404) return 'not_found'
  if (error.status === 410) return 'gone'
  return error.status === 400 ? 'invalid' : 'failed'
}

/**
 * Resolve answers by outcome and how long each took, single and batch alike (a batch counts each
 * entry). Every series is bound up front: the cached answer pays two additions and a bucket search.
 */
export class ResolveMetrics {
  readonly #answers: Record<ResolveOutcome, CounterSeries>
  readonly #duration: HistogramSeries

  constructor(registry: Registry) {
    const answers = new BoundCounter(registry, {
      name: 'ci_image_store_resolve_answers_total',
      help: 'Resolve answers by outcome: fresh, stale (the database was away), not_found, gone (withdrawn or unavailable), invalid (spec), failed (anything else)',
      labelNames: ['outcome']
    })
    this.#answers = Object.fromEntries(RESOLVE_OUTCOMES.map((o) => [o, answers.series(o)])) as Record<ResolveOutcome, CounterSeries>
    this.#duration = new BoundHistogram(registry, {
      name: 'ci_image_store_resolve_duration_seconds',
      help: 'Time resolve took to answer one image (each entry of a batch), whatever the outcome',
      buckets: BUCKETS
    }).series()
  }

  /** An answer was given; `startedAt` is the performance.now() when resolving began. */
  answered(stale: boolean, startedAt: number): void {
    ;(stale ? this.#answers.stale : this.#answers.fresh).inc()
    this.#duration.observe((performance.now() - startedAt) / 1000)
  }

  refused(error: unknown, startedAt: number): void {
    this.#answers[outcomeOf(error)].inc()
    this.#duration.observe((performance.now() - startedAt) / 1000)
  }
}
