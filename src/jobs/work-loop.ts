// The life cycle both background workers share (pullability checks, webhook deliveries): look for
// leased work when woken, run up to a bound at once, stop taking work when the replica drains, and
// on stop cut what runs short so it can be handed back at once. The workers say how work is taken
// (`take`) and run (`run`); this says when.
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'

/** hostname:pid:random — unique per process, and readable in a lease column. */
export const newWorkerId = (): string => `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`

export abstract class WorkLoop<Job> {
  /** Aborted on stop: the work under way ends at once and is handed back by `run`. */
  protected readonly abort = new AbortController()
  private readonly inFlight = new Set<Promise<void>>()
  private ticking: Promise<void> | undefined
  private wakeAgain = false
  #stopping = false

  /** Looks for work now; calls that arrive while looking coalesce into one more look. */
  wake(): void {
    if (this.#stopping || !this.running()) return
    if (this.ticking) {
      this.wakeAgain = true
      return
    }
    this.ticking = this.take().finally(() => {
      this.ticking = undefined
      if (this.wakeAgain) {
        this.wakeAgain = false
        this.wake()
      }
    })
  }

  /** Takes no more work; the work under way goes on (the drain before a shutdown). */
  pause(): void {
    this.#stopping = true
    this.paused()
  }

  /**
   * Takes no more work, cuts the work under way short (its `run` sees the abort and hands it back)
   * and waits for it. Work whose outcome is being recorded finishes recording.
   */
  async stop(): Promise<void> {
    this.pause()
    await this.ticking
    this.abort.abort()
    await Promise.allSettled([...this.inFlight])
  }

  get busy(): number {
    return this.inFlight.size
  }

  protected get stopping(): boolean {
    return this.#stopping
  }

  /** Runs a job taken by `take`, and looks for more when it ends. */
  protected launch(job: Job): void {
    const run: Promise<void> = this.run(job).finally(() => {
      this.inFlight.delete(run)
      this.wake()
    })
    this.inFlight.add(run)
  }

  /** Whether start() was called (wake() does nothing before). */
  protected abstract running(): boolean
  /** Leases due work and launches each job; never rejects. */
  protected abstract take(): Promise<void>
  /** Runs one job; never rejects. */
  protected abstract run(job: Job): Promise<void>
  /** Clears the worker's timers. */
  protected abstract paused(): void
}

/** A work loop that also looks for due work every `pollIntervalMs`; work announced elsewhere wakes it sooner. */
export abstract class PollingWorkLoop<Job> extends WorkLoop<Job> {
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly pollIntervalMs: number) {
    super()
  }

  start(): void {
    if (this.timer || this.stopping) return
    this.timer = setInterval(() => this.wake(), this.pollIntervalMs)
    this.timer.unref()
    this.wake()
  }

  protected running(): boolean {
    return this.timer !== undefined
  }

  protected paused(): void {
    clearInterval(this.timer)
  }
}
