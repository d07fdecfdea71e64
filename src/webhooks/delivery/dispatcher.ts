// Turns outbox events into deliveries (see dispatch-batch.ts). Woken by every committed change,
// on this replica or another, by a poll timer for what no change announced (webhook.disabled
// events, changes missed while LISTEN was down), and once at start to catch up.
import type { FastifyBaseLogger } from 'fastify'
import type { ChangeNotifier } from '../../changes/change-bus.js'
import type { Database } from '../../db/database.js'
import { dispatchBatch } from './dispatch-batch.js'

export interface DispatcherOptions {
  db: Database
  changes: ChangeNotifier
  log: FastifyBaseLogger
  pollIntervalMs: number
  batchSize: number
  /** Told when deliveries were created, so this replica's worker starts on them at once. */
  onDispatched: () => void
}

export class Dispatcher {
  private timer: NodeJS.Timeout | undefined
  private ticking: Promise<void> | undefined
  private wakeAgain = false
  private stopped = false

  constructor(private readonly options: DispatcherOptions) {
    options.changes.subscribe(() => this.wake())
    options.changes.onMissed(() => this.wake())
  }

  start(): void {
    if (this.timer || this.stopped) return
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs)
    this.timer.unref()
    this.wake()
  }

  wake(): void {
    if (!this.timer || this.stopped) return
    if (this.ticking) {
      this.wakeAgain = true
      return
    }
    this.ticking = this.catchUp().finally(() => {
      this.ticking = undefined
      if (this.wakeAgain) {
        this.wakeAgain = false
        this.wake()
      }
    })
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.ticking
  }

  /** Dispatches batches until the outbox is read to its end or another replica holds the cursor. */
  private async catchUp(): Promise<void> {
    const { db, batchSize, log } = this.options
    try {
      for (;;) {
        const result = await dispatchBatch(db, batchSize)
        if (result.kind === 'busy') return
        if (result.deliveries > 0) this.options.onDispatched()
        if (result.events < batchSize || this.stopped) return
      }
    } catch (err) {
      log.warn({ err }, 'could not dispatch webhook events; retrying at the next poll')
    }
  }
}
