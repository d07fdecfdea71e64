// Advances rollouts whose stage has lasted advanceAfter. Every replica runs one: each due rollout is
// taken with its version row locked (SKIP LOCKED), so a rollout another replica or an operator holds
// is left to them, and the advance is the same compare-and-set an operator's is. One rollout per
// transaction, so one that cannot advance never holds back the others.
import type { FastifyBaseLogger } from 'fastify'
import type { ChangeNotifier } from '../changes/change-bus.js'
import { commitChanges } from '../changes/commit-changes.js'
import type { Database } from '../db/database.js'
import { findImageById } from '../images/images.repository.js'
import { lockVersion } from '../versions/versions.repository.js'
import { advanceRollout, ROLLOUT_SCHEDULER } from './rollout-transitions.js'
import { lockDueRolloutVersion, lockRollout } from './rollouts.repository.js'

export interface RolloutSchedulerOptions {
  db: Database
  changes: ChangeNotifier
  log: FastifyBaseLogger
  pollIntervalMs: number
  /** Told after each committed advance (metrics). */
  onAdvanced?: (automatic: boolean) => void
}

// Rollouts advanced per look at most: the rest wait for the next poll, so a backlog (after an outage)
// is worked off without one look running for long.
const MAX_PER_LOOK = 20

type Outcome = 'advanced' | 'skipped' | 'none'

export class RolloutScheduler {
  private timer: NodeJS.Timeout | undefined
  private looking: Promise<void> | undefined
  private stopped = false

  constructor(private readonly options: RolloutSchedulerOptions) {}

  start(): void {
    if (this.timer || this.stopped) return
    this.timer = setInterval(() => this.wake(), this.options.pollIntervalMs)
    this.timer.unref()
    this.wake()
  }

  /** Looks for due rollouts now, unless a look is under way. */
  wake(): void {
    if (this.stopped || this.looking) return
    this.looking = this.look().finally(() => {
      this.looking = undefined
    })
  }

  /** No more looks; waits for the one under way. */
  async stop(): Promise<void> {
    this.stopped = true
    clearInterval(this.timer)
    await this.looking
  }

  /** Never rejects: a database outage is logged and the next poll tries again. */
  private async look(): Promise<void> {
    const seen: string[] = []
    try {
      for (let i = 0; i < MAX_PER_LOOK && !this.stopped; i++) {
        if ((await this.advanceOne(seen)) === 'none') return
      }
    } catch (err) {
      this.options.log.warn({ err }, 'could not advance due rollouts; trying again at the next poll')
    }
  }

  private async advanceOne(seen: string[]): Promise<Outcome> {
    const { db, changes, log } = this.options
    const outcome = await commitChanges(db, changes, async (trx, record): Promise<Outcome> => {
      const due = await lockDueRolloutVersion(trx, seen)
      if (!due) return 'none'
      seen.push(due.versionId)
      const version = await lockVersion(trx, due.versionId)
      const current = await lockRollout(trx, due.versionId)
      const image = await findImageById(trx, due.imageId)
      // Read again under the locks: an operator may have paused or advanced it since the due rows were read.
      const stillDue =
        version && image && current?.state === 'rolling_out' && current.nextAdvanceAt !== null && current.nextAdvanceAt <= new Date()
      if (!stillDue) return 'skipped'
      const row = await advanceRollout({ trx, record, actor: ROLLOUT_SCHEDULER }, image, version, current, true)
      if (!row) return 'skipped'
      log.info({ image: image.code, versionId: version.id, from: current.stage, to: row.stage, state: row.state }, 'rollout advanced')
      return 'advanced'
    })
    if (outcome === 'advanced') this.options.onAdvanced?.(true)
    return outcome
  }
}
