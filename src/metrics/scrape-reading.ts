// A value read from the database when Prometheus scrapes, shared by the gauges of one scrape: at
// most one read in flight, and a scrape waits for it only so long, then reports the last value
// read. A database outage never fails or stalls a scrape.

const DEFAULT_BUDGET_MS = 500

export class ScrapeReading<T> {
  #known: T | undefined
  #inFlight: Promise<void> | undefined

  constructor(
    private readonly read: () => Promise<T>,
    private readonly budgetMs = DEFAULT_BUDGET_MS
  ) {}

  /** The last value read; undefined until a read succeeded. */
  get known(): T | undefined {
    return this.#known
  }

  /** Reads anew, or joins the read under way, and waits at most the budget. Never rejects. */
  refresh(): Promise<void> {
    this.#inFlight ??= this.read()
      .then((value) => void (this.#known = value))
      .catch(() => undefined)
      .finally(() => (this.#inFlight = undefined))
    let timer: NodeJS.Timeout | undefined
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.budgetMs)))
    return Promise.race([this.#inFlight, budget]).finally(() => clearTimeout(timer))
  }
}
