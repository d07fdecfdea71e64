import type { FastifyBaseLogger } from 'fastify'
import { parseChange, type Change } from './change.js'

export type ChangeListener = (change: Change) => void | Promise<void>

export interface ChangeNotifier {
  /** Tells this replica's subscribers of committed changes (commitChanges calls it). */
  publish(changes: readonly Change[]): Promise<void>
  /**
   * Hears every change once it is committed, on this replica or another one. Register while the
   * app loads. A listener's failure is logged and does not stop the others.
   */
  subscribe(listener: ChangeListener): void
  /**
   * Runs whenever changes of other replicas may have been missed: on every (re)connection of the
   * LISTEN connection, the first included. Caches drop what they hold, workers look for work.
   */
  onMissed(listener: () => void): void
}

// Our own changes come back through LISTEN too; their ids are remembered (a bounded set) so this
// replica's subscribers hear each once. A notification that overtakes the local publish is heard
// twice, which subscribers tolerate: dropping a cache entry or waking a worker is idempotent.
const MAX_OWN_IDS = 10_000

/** The notifier of one replica; changes.plugin.ts feeds it what other replicas commit. */
export class ChangeBus implements ChangeNotifier {
  private readonly listeners: ChangeListener[] = []
  private readonly missedListeners: (() => void)[] = []
  private readonly ownIds = new Set<number>()

  /** `hearsOwn`: whether this replica's own notifications come back to it (LISTEN on PostgreSQL). */
  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly hearsOwn = false
  ) {}

  async publish(changes: readonly Change[]): Promise<void> {
    for (const change of changes) {
      if (this.hearsOwn) {
        this.ownIds.add(change.id)
        if (this.ownIds.size > MAX_OWN_IDS) this.ownIds.delete(this.ownIds.values().next().value as number)
      }
      await this.deliver(change)
    }
  }

  subscribe(listener: ChangeListener): void {
    this.listeners.push(listener)
  }

  onMissed(listener: () => void): void {
    this.missedListeners.push(listener)
  }

  /** A NOTIFY payload from the changes channel. */
  async heard(payload: string): Promise<void> {
    const change = parseChange(payload)
    if (!change || this.ownIds.delete(change.id)) return
    await this.deliver(change)
  }

  missed(): void {
    for (const listener of this.missedListeners) {
      try {
        listener()
      } catch (err) {
        this.log.warn({ err }, 'a missed-changes listener failed')
      }
    }
  }

  private async deliver(change: Change): Promise<void> {
    for (const listener of this.listeners) {
      try {
        await listener(change)
      } catch (err) {
        this.log.warn({ err, change }, 'a change listener failed')
      }
    }
  }
}
