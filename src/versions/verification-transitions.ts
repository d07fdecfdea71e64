// What a re-verification changes on a version (drift, availability, signer, the time it last
// verified): a compare-and-set on the row the caller locked, still in a verified status (testing,
// awaiting approval, released) and still pinned to the digest that was verified, with its events in the same transaction. The decision
// itself is made by verification/'s rules; this only writes it.
import type { ImageEvent } from '../events/events.repository.js'
import type { TransitionContext } from './version-transitions.js'
import { formatVersion } from './version-number.js'
import type { VersionRow, VersionUpdate } from './versions.table.js'
import { updateVerifiedVersion } from './verification.repository.js'

/** The service itself, for what a verification finds. */
export const VERIFY_ACTOR = { name: 'verification-worker', tokenId: null, projects: null } as const satisfies ImageEvent['actor']

/** Event types after which a verification is due at once: the verification worker wakes on them. */
export const VERIFICATION_REQUESTED = new Set(['version.verification_requested'])

/** Statuses whose versions are re-verified: every one resolve may hand out (awaiting approval: to the debug project). */
export const VERIFIED_STATUSES = ['testing', 'awaiting_approval', 'released'] as const

type Image = { id: string; code: string }

export interface VerificationWrite {
  changes: Pick<
    VersionUpdate,
    | 'verifiedAt'
    | 'verificationError'
    | 'upstreamDigest'
    | 'upstreamSeenAt'
    | 'missingCount'
    | 'unavailableSince'
    | 'unavailableReason'
    | 'signedBy'
    | 'signedByFingerprint'
  >
  events: { action: string; details: Record<string, unknown> }[]
  changesResolutions: boolean
}

const versionOf = (row: VersionRow) => ({ id: row.id, number: formatVersion(row), digest: row.digest })

/**
 * Writes what a verification of `current` (locked by the caller) found. undefined when the version
 * is no longer testing or released or was pinned to another digest meanwhile (a recheck): the
 * findings are about something else then and nothing is written.
 */
export async function recordVerification(
  ctx: TransitionContext,
  image: Image,
  current: VersionRow,
  verifiedDigest: string,
  write: VerificationWrite
): Promise<VersionRow | undefined> {
  const row = await updateVerifiedVersion(ctx.trx, current.id, VERIFIED_STATUSES, verifiedDigest, write.changes)
  if (!row) return undefined
  for (const event of write.events) {
    await ctx.record({
      image,
      action: event.action,
      actor: ctx.actor,
      version: versionOf(row),
      details: event.details,
      requestId: ctx.requestId,
      changesResolutions: write.changesResolutions
    })
  }
  return row
}

/** Someone asked for the version to be verified now; the caller has made its job due. */
export async function recordVerificationRequest(ctx: TransitionContext, image: Image, current: VersionRow): Promise<void> {
  await ctx.record({
    image,
    action: 'version.verification_requested',
    actor: ctx.actor,
    version: versionOf(current),
    details: {},
    requestId: ctx.requestId,
    changesResolutions: false
  })
}

/** A verification that could not reach a verdict (registry down, rate limited): only why, no event. */
export async function recordVerificationError(
  ctx: TransitionContext,
  current: VersionRow,
  verifiedDigest: string,
  error: string
): Promise<VersionRow | undefined> {
  return updateVerifiedVersion(ctx.trx, current.id, VERIFIED_STATUSES, verifiedDigest, { verificationError: error })
}
