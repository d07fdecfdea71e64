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
/** What a token of an approver project may do with a release that awaits approval. */
export const APPROVER_ACTIONS = ['approve', 'reject'] as const
export type ApproverAction = (typeof APPROVER_ACTIONS)[number]
/**
 * A release asked of an image that requires approvals waits for them (request_release); the last
 * approval needed releases (approve_release); a rejection sends it back to testing (reject_release).
 */
export type ApprovalAction = 'request_release' | 'approve_release' | 'reject_release'
export type VersionAction = PublisherAction | CheckAction | RolloutAction | ApprovalAction

interface Transition {
  from: readonly VersionStatus[]
  to: VersionStatus
}

export const TRANSITIONS: Readonly<Record<VersionAction, Transition>> = {
  pass_check: { from: ['checking'], to: 'testing' },
  fail_check: { from: ['checking'], to: 'check_failed' },
  // After the publisher pushed the image again; a pending release request (and its approvals) ends.
  recheck: { from: ['check_failed', 'testing', 'awaiting_approval'], to: 'checking' },
  release: { from: ['testing'], to: 'released' },
  cancel: { from: ['checking', 'check_failed', 'testing', 'awaiting_approval'], to: 'cancelled' },
  withdraw: { from: ['released'], to: 'withdrawn' },
  abort_rollout: { from: ['released'], to: 'withdrawn' },
  request_release: { from: ['testing'], to: 'awaiting_approval' },
  approve_release: { from: ['awaiting_approval'], to: 'released' },
  reject_release: { from: ['awaiting_approval'], to: 'testing' }
}

/** The transition an approver's decision applies (the approval that is not the last one changes no status). */
export const APPROVER_TRANSITIONS: Readonly<Record<ApproverAction, ApprovalAction>> = {
  approve: 'approve_release',
  reject: 'reject_release'
}

export const canApply = (status: VersionStatus, action: VersionAction): boolean => TRANSITIONS[action].from.includes(status)

/**
 * The publisher actions allowed from a status, in a stable order (shown in 409 problems). Approve and
 * reject are not among them: they are an approver's, not the publisher's (the version's `approval` shows them).
 */
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
