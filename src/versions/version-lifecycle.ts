// The release lifecycle as data: which action moves a version from which statuses to which one.
// Pure, so the rules are tested on their own and the database only enforces them with a
// compare-and-set on the current status.
import type { VersionStatus } from './versions.table.js'

export const VERSION_STATUSES = [
  'checking',
  'check_failed',
  'testing',
  'awaiting_approval',
  'released',
  'cancelled',
  'withdrawn'
] as const satisfies readonly VersionStatus[]

/** Statuses that count as "in progress": at most one per image (a partial unique index). */
export const IN_PROGRESS_STATUSES = ['checking', 'check_failed', 'testing', 'awaiting_approval'] as const satisfies readonly VersionStatus[]

/** What a publisher may ask for. */
export const PUBLISHER_ACTIONS = ['recheck', 'release', 'cancel', 'withdraw'] as const
export type PublisherAction = (typeof PUBLISHER_ACTIONS)[number]

/** What the pullability check reports; never requested over HTTP. */
export type CheckAction = 'pass_check' | 'fail_check'
/** Aborting a staged rollout takes the version back from everyone (rollouts/ asks for it). */
export type RolloutAction = 'abort_rollout'
export type VersionAction = PublisherAction | CheckAction | RolloutAction

interface Transition {
  from: readonly VersionStatus[]
  to: VersionStatus
}

export const TRANSITIONS: Readonly<Record<VersionAction, Transition>> = {
  pass_check: { from: ['checking'], to: 'testing' },
  fail_check: { from: ['checking'], to: 'check_failed' },
  // After the publisher pushed the image again.
  recheck: { from: ['check_failed', 'testing'], to: 'checking' },
  release: { from: ['testing'], to: 'released' },
  cancel: { from: ['checking', 'check_failed', 'testing'], to: 'cancelled' },
  withdraw: { from: ['released'], to: 'withdrawn' },
  abort_rollout: { from: ['released'], to: 'withdrawn' }
}

export const canApply = (status: VersionStatus, action: VersionAction): boolean => TRANSITIONS[action].from.includes(status)

/** The publisher actions allowed from a status, in a stable order (shown in 409 problems). */
export const allowedActions = (status: VersionStatus): PublisherAction[] => PUBLISHER_ACTIONS.filter((a) => canApply(status, a))

/**
 * Statuses resolve can meet: released, testing and awaiting_approval (for the debug project, and for
 * explain), withdrawn (for its 410).
 */
export const RESOLVABLE_STATUSES = ['released', 'testing', 'awaiting_approval', 'withdrawn'] as const satisfies readonly VersionStatus[]

const isResolvable = (status: VersionStatus | undefined): boolean =>
  status !== undefined && (RESOLVABLE_STATUSES as readonly VersionStatus[]).includes(status)

/**
 * Whether a version moving from one status to another (from undefined: a new version) changes what
 * any resolution answers. Only then are the resolve caches of every replica dropped: a submission
 * or a failed check changes nothing a pipeline can see.
 */
export const changesResolutions = (from: VersionStatus | undefined, to: VersionStatus): boolean => isResolvable(from) || isResolvable(to)

export const isInProgress = (status: VersionStatus): boolean => (IN_PROGRESS_STATUSES as readonly VersionStatus[]).includes(status)
