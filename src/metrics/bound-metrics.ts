import type { Metric, Registry } from 'prom-client'

// prom-client hashes a series' labels on every observe, even through a labels() child, which costs
// more than a cached resolve answer. These metrics bind a series once (its labels fixed when bound)
// and count into plain numbers; the registry reads them like any prom-client metric at scrape time.

type Labels = Record<string, string | number>

interface Sample {
  metricName?: string
  labels: Labels
  /** Written after `labels`: prom-client puts a histogram's `le` first. */
  sharedLabels?: Labels
  value: number
}

interface Options {
  name: string
  help: string
  labelNames?: readonly string[]
}

abstract class BoundMetric<S extends { readonly labels: Labels }> {
  readonly name: string
  readonly help: string
  readonly aggregator = 'sum'
  readonly #labelNames: readonly string[]
  readonly #series = new Map<string, S>()

  constructor(
    registry: Registry,
    readonly type: 'counter' | 'histogram',
    options: Options
  ) {
    this.name = options.name
    this.help = options.help
    this.#labelNames = options.labelNames ?? []
    // The registry only calls get() (and reset()); its type names prom-client's own class.
    registry.registerMetric(this as unknown as Metric)
  }

  /** The series of these label values (in labelNames order), created on first use and kept. */
  series(...values: string[]): S {
    const key = values.join('\u0000')
    let series = this.#series.get(key)
    if (!series) {
      if (values.length !== this.#labelNames.length) throw new Error(`${this.name} takes the labels ${this.#labelNames.join(', ')}`)
      const labels: Labels = {}
      this.#labelNames.forEach((name, i) => (labels[name] = values[i]!))
      series = this.create(labels)
      this.#series.set(key, series)
    }
    return series
  }

  protected abstract create(labels: Labels): S
  protected abstract samples(series: S): Sample[]

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    const values = [...this.#series.values()].flatMap((s) => this.samples(s))
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** Counters only go up: a registry reset leaves them alone. */
  reset(): void {}
}

export class CounterSeries {
  value = 0
  constructor(readonly labels: Labels) {}

  inc(by = 1): void {
    this.value += by
  }
}

export class BoundCounter extends BoundMetric<CounterSeries> {
  constructor(registry: Registry, options: Options) {
    super(registry, 'counter', options)
  }

  protected create(labels: Labels): CounterSeries {
    return new CounterSeries(labels)
  }

  protected samples(series: CounterSeries): Sample[] {
    return [{ labels: series.labels, value: series.value }]
  }
}

export class HistogramSeries {
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  readonly #counts: number[]
  sum = 0
  count = 0

  constructor(
    readonly labels: Labels,
    readonly bounds: readonly number[]
  ) {
    this.#counts = new Array<number>(bounds.length + 1).fill(0)
  }

  observe(value: number): void {
    const bounds = this.bounds
    let i = 0
    while (i < bounds.length && value > bounds[i]!) i++
    this.#counts[i] = this.#counts[i]! + 1
    this.sum += value
    this.count++
  }

  /** Cumulative counts per upper bound, +Inf last, as the exposition format wants them. */
  cumulative(): number[] {
    let total = 0
    return this.#counts.map((n) => (total += n))
  }
}

export class BoundHistogram extends BoundMetric<HistogramSeries> {
  readonly #bounds: readonly number[]

  constructor(registry: Registry, options: Options & { buckets: readonly number[] }) {
    super(registry, 'histogram', options)
    this.#bounds = [...options.buckets].sort((a, b) => a - b)
  }

  protected create(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.#bounds)
  }

  protected samples(series: HistogramSeries): Sample[] {
    const bucket = `${this.name}_bucket`
    const counts = series.cumulative()
    return [
      ...counts.map((value, i) => ({ metricName: bucket, labels: { le: this.#bounds[i] ?? '+Inf' }, sharedLabels: series.labels, value })),
      { metricName: `${this.name}_sum`, labels: series.labels, value: series.sum },
      { metricName: `${this.name}_count`, labels: series.labels, value: series.count }
    ]
  }
}
