// Every change of a version's status, and only those: each is a compare-and-set on the current
// status and records its event in the same transaction (the caller's, opened with commitChanges).
// Submitting, the publisher actions and the outcomes of a check (from checks/) all come here.
import type { Transaction } from 'kysely'
import type { RecordChange } from '../changes/commit-changes.js'
import type { DB } from '../db/schema.js'
import type { ImageEvent } from '../events/events.repository.js'
import type { PullabilityOutcome } from '../registry/index.js'
import type { CheckQueue } from './check-queue.js'
import { imageReference } from './image-reference.js'
import { changesResolutions, TRANSITIONS, type PublisherAction } from './version-lifecycle.js'
import { formatVersion } from './version-number.js'
import { insertVersion, updateVersionIfStatus } from './versions.repository.js'
import { deleteApprovals } from './approvals.repository.js'
import type { ReleaseRollouts } from './release-rollouts.js'
import type { NewVersion, VersionRow, VersionUpdate } from './versions.table.js'

export interface TransitionContext {
  trx: Transaction<DB>
  record: RecordChange
  actor: ImageEvent['actor']
  requestId?: string | undefined
}

type Image = { id: string; code: string }

/** What the publisher actions change besides the version row. */
export interface PublisherDeps {
  queue: CheckQueue
  rollouts: ReleaseRollouts
}

/** The service itself, for the outcomes of a check. */
export const CHECK_ACTOR = { name: 'check-worker', tokenId: null, projects: null } as const

/** Event types after which a check is due at once: the check worker wakes on them. */
export const CHECK_REQUESTED = new Set(['version.submitted', 'version.recheck_requested'])

export const versionOf = (row: VersionRow) => ({ id: row.id, number: formatVersion(row), digest: row.digest })

/** A new version, checking, with its check queued. */
export async function submitVersionRow(
  ctx: TransitionContext,
  queue: CheckQueue,
  image: Image,
  values: NewVersion,
  line: number | null
): Promise<VersionRow> {
  const row = await insertVersion(ctx.trx, values)
  await queue.enqueue(ctx.trx, row.id)
  await ctx.record({
    image,
    action: 'version.submitted',
    actor: ctx.actor,
    version: versionOf(row),
    details: { to: row.status, releaseType: row.releaseType, line, reference: imageReference(row), credentialId: row.credentialId },
    requestId: ctx.requestId,
    changesResolutions: changesResolutions(undefined, row.status)
  })
  return row
}

/** The publisher actions but release, which release-transitions.ts carries out (soak time, approvals, rollout). */
export type StatusAction = Exclude<PublisherAction, 'release'>

const PUBLISHER_EVENTS: Record<StatusAction, string> = {
  recheck: 'version.recheck_requested',
  cancel: 'version.cancelled',
  withdraw: 'version.withdrawn'
}

// Leaving testing or awaiting_approval otherwise than by a release ends the request for one.
const NO_RELEASE_REQUEST = { releaseRequestedBy: null, releaseRequestedByTokenId: null, releaseRequestedAt: null, releasePlan: null }

function publisherChanges(action: StatusAction, by: string, at: Date, reason: string | undefined): VersionUpdate {
  const status = TRANSITIONS[action].to
  switch (action) {
    case 'recheck':
      // The soak time starts again when the new check passes.
      return { status, statusReason: null, checkClass: null, testingSince: null, ...NO_RELEASE_REQUEST }
    case 'cancel':
      return { status, statusReason: reason ?? null, cancelledBy: by, cancelledAt: at, ...NO_RELEASE_REQUEST }
    case 'withdraw':
      return { status, statusReason: reason ?? null, withdrawnBy: by, withdrawnAt: at, withdrawReason: reason ?? null }
  }
}

/**
 * Recheck, cancel or withdraw `current` (locked by the caller, so the event's "from" is the status
 * this action changed). undefined when its status does not allow the action.
 */
export async function applyPublisherAction(
  ctx: TransitionContext,
  deps: PublisherDeps,
  image: Image,
  current: VersionRow,
  action: StatusAction,
  reason?: string
): Promise<VersionRow | undefined> {
  const now = new Date()
  const row = await updateVersionIfStatus(
    ctx.trx,
    current.id,
    TRANSITIONS[action].from,
    publisherChanges(action, ctx.actor.name, now, reason)
  )
  if (!row) return undefined
  if (current.status === 'awaiting_approval') await deleteApprovals(ctx.trx, row.id)
  if (action === 'recheck') await deps.queue.enqueue(ctx.trx, row.id)
  // A check under way for a cancelled version finds no job and no 'checking' status: dropped.
  if (action === 'cancel') await deps.queue.drop(ctx.trx, row.id)
  // Everyone is back on the previous release at once; the withdrawal's event tells of it.
  if (action === 'withdraw') await deps.rollouts.endOnWithdraw(ctx.trx, row.id)
  await ctx.record({
    image,
    action: PUBLISHER_EVENTS[action],
    actor: ctx.actor,
    version: versionOf(row),
    details: {
      from: current.status,
      to: row.status,
      ...(reason !== undefined ? { reason } : {}),
      ...(action === 'recheck' ? { previousDigest: current.digest } : {})
    },
    requestId: ctx.requestId,
    changesResolutions: changesResolutions(current.status, row.status)
  })
  return row
}

type Pullable = Extract<PullabilityOutcome, { ok: true }>

/**
 * checking → testing, with what the check found and which of the image's keys signed the digest
 * (null when the image requires no signature). undefined when the version is no longer checking.
 */
export async function passCheck(
  ctx: TransitionContext,
  image: Image,
  current: VersionRow,
  found: Pullable,
  signedBy: { name: string; fingerprint: string } | null,
  attempts: number
): Promise<VersionRow | undefined> {
  const row = await updateVersionIfStatus(ctx.trx, current.id, TRANSITIONS.pass_check.from, {
    status: TRANSITIONS.pass_check.to,
    statusReason: null,
    checkClass: null,
    digest: found.digest,
    mediaType: found.mediaType,
    platforms: JSON.stringify(found.platforms),
    size: found.size,
    signedBy: signedBy?.name ?? null,
    signedByFingerprint: signedBy?.fingerprint ?? null,
    checkedAt: new Date(),
    testingSince: new Date()
  })
  if (!row) return undefined
  const previousDigest = current.digest
  await ctx.record({
    image,
    action: 'version.check_passed',
    actor: ctx.actor,
    version: versionOf(row),
    details: {
      from: current.status,
      to: row.status,
      digest: found.digest,
      previousDigest,
      digestChanged: previousDigest !== null && previousDigest !== found.digest,
      platforms: found.platforms,
      signedBy: signedBy?.name ?? null,
      attempts
    },
    changesResolutions: changesResolutions(current.status, row.status)
  })
  return row
}

/** checking → check_failed. undefined when the version is no longer checking. */
export async function failCheck(
  ctx: TransitionContext,
  image: Image,
  current: VersionRow,
  checkClass: string,
  reason: string,
  attempts: number
): Promise<VersionRow | undefined> {
  const to = TRANSITIONS.fail_check.to
  const row = await updateVersionIfStatus(ctx.trx, current.id, TRANSITIONS.fail_check.from, {
    status: to,
    checkClass,
    statusReason: reason,
    checkedAt: new Date(),
    // A recheck that fails no longer vouches for an earlier signer.
    signedBy: null,
    signedByFingerprint: null
  })
  if (!row) return undefined
  await ctx.record({
    image,
    action: 'version.check_failed',
    actor: ctx.actor,
    version: versionOf(row),
    details: { from: current.status, to, checkClass, reason, attempts },
    changesResolutions: changesResolutions(current.status, to)
  })
  return row
}

/** Still checking, but the publisher can see why it takes long and when the next attempt is. */
export async function scheduleCheckRetry(
  ctx: TransitionContext,
  image: Image,
  current: VersionRow,
  checkClass: string,
  reason: string,
  attempts: number,
  retryAt: Date
): Promise<VersionRow | undefined> {
  const row = await updateVersionIfStatus(ctx.trx, current.id, ['checking'], { checkClass, statusReason: reason })
  if (!row) return undefined
  await ctx.record({
    image,
    action: 'version.check_retry_scheduled',
    actor: ctx.actor,
    version: versionOf(row),
    details: { checkClass, reason, attempts, retryAt: retryAt.toISOString() },
    changesResolutions: false
  })
  return row
}
