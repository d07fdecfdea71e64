// What one verification's findings change on a version: drift, a vanished digest, an invalid
// signature, or nothing. Pure (the clock is passed in), so every case is tested on its own; the
// apply step writes the decision and its events in one transaction.

/** What a version holds about earlier verifications. */
export interface VerificationState {
  digest: string
  tag: string
  status: string
  upstreamDigest: string | null
  /** Set while drifted. */
  upstreamSeenAt: Date | null
  missingCount: number
  /** Set while unavailable. */
  unavailableSince: Date | null
  unavailableReason: string | null
  signedBy: string | null
  signedByFingerprint: string | null
}

/** What the registry answered, as the client's PinnedFindings say it. */
export interface Findings {
  tagDigest: string | null | undefined
  digestPresent: boolean
}

/**
 * The signature requirement judged against what was found (checks/' signatureVerdict): `pass` with
 * the signer (null when the image requires none), or `unsigned` with the reason naming the keys
 * and what was found.
 */
export type SignatureJudgement =
  { kind: 'pass'; signedBy: { name: string; fingerprint: string } | null } | { kind: 'unsigned'; reason: string }

export type UnavailableCause = 'digest_missing' | 'signature_invalid'

export type VerificationEvent =
  | { action: 'version.drifted'; details: { digest: string; tag: string; upstreamDigest: string | null; firstSeenAt: string } }
  | {
      action: 'version.drift_cleared'
      details: { digest: string; tag: string; previousUpstreamDigest: string | null; driftedSince: string }
    }
  | { action: 'version.unavailable'; details: { status: string; cause: UnavailableCause; reason: string } }
  | { action: 'version.available'; details: { status: string; unavailableSince: string } }

/** Metric labels of what a verification found; `verified` when it changed nothing but the time. */
export type VerificationOutcomeLabel =
  'verified' | 'drifted' | 'drift_cleared' | 'digest_missing' | 'unavailable' | 'available' | 'signature_invalid'

export interface VerificationChanges {
  verifiedAt?: Date
  verificationError: null
  upstreamDigest?: string | null
  upstreamSeenAt?: Date | null
  missingCount?: number
  unavailableSince?: Date | null
  unavailableReason?: string | null
  signedBy?: string | null
  signedByFingerprint?: string | null
}

export interface VerificationDecision {
  changes: VerificationChanges
  events: VerificationEvent[]
  outcomes: VerificationOutcomeLabel[]
  /** `confirm`: the digest was missing for the first time, look again soon rather than after an interval. */
  next: 'interval' | 'confirm'
  /** Whether what resolve answers for the image may differ (drift shown, availability changed). */
  changesResolutions: boolean
}

/** Verifications in a row that must find the pinned digest gone before the version is unavailable. */
export const MISSING_TO_UNAVAILABLE = 2

export function decideVerification(
  state: VerificationState,
  found: Findings,
  signature: SignatureJudgement,
  now: Date
): VerificationDecision {
  const changes: VerificationChanges = { verificationError: null }
  const events: VerificationEvent[] = []
  const outcomes: VerificationOutcomeLabel[] = []
  let next: VerificationDecision['next'] = 'interval'

  const drifted = state.upstreamSeenAt !== null
  if (found.tagDigest !== undefined) {
    if (found.tagDigest === state.digest) {
      if (drifted) {
        changes.upstreamDigest = null
        changes.upstreamSeenAt = null
        events.push({
          action: 'version.drift_cleared',
          details: {
            digest: state.digest,
            tag: state.tag,
            previousUpstreamDigest: state.upstreamDigest,
            driftedSince: iso(state.upstreamSeenAt)
          }
        })
        outcomes.push('drift_cleared')
      }
    } else if (!drifted || state.upstreamDigest !== found.tagDigest) {
      changes.upstreamDigest = found.tagDigest
      changes.upstreamSeenAt = now
      events.push({
        action: 'version.drifted',
        details: { digest: state.digest, tag: state.tag, upstreamDigest: found.tagDigest, firstSeenAt: now.toISOString() }
      })
      outcomes.push('drifted')
    }
  }

  const unavailable = state.unavailableSince !== null
  if (!found.digestPresent) {
    const missing = state.missingCount + 1
    changes.missingCount = missing
    outcomes.push('digest_missing')
    if (!unavailable && missing >= MISSING_TO_UNAVAILABLE) {
      const reason = `the pinned digest ${state.digest} is gone from the registry: ${missing} verifications in a row were answered 404`
      changes.unavailableSince = now
      changes.unavailableReason = reason
      events.push({ action: 'version.unavailable', details: { status: state.status, cause: 'digest_missing', reason } })
      outcomes.push('unavailable')
    } else if (!unavailable) {
      next = 'confirm'
    }
  } else {
    changes.verifiedAt = now
    if (state.missingCount !== 0) changes.missingCount = 0
    const signedBy = signature.kind === 'pass' ? signature.signedBy : null
    if ((signedBy?.name ?? null) !== state.signedBy) changes.signedBy = signedBy?.name ?? null
    if ((signedBy?.fingerprint ?? null) !== state.signedByFingerprint) changes.signedByFingerprint = signedBy?.fingerprint ?? null
    if (signature.kind === 'unsigned') {
      outcomes.push('signature_invalid')
      const reason = signature.reason
      if (!unavailable) {
        changes.unavailableSince = now
        changes.unavailableReason = reason
        events.push({ action: 'version.unavailable', details: { status: state.status, cause: 'signature_invalid', reason } })
        outcomes.push('unavailable')
      } else if (state.unavailableReason !== reason) {
        // Still unavailable, now for this reason (e.g. the digest came back unsigned): the view says why.
        changes.unavailableReason = reason
      }
    } else if (unavailable) {
      changes.unavailableSince = null
      changes.unavailableReason = null
      events.push({ action: 'version.available', details: { status: state.status, unavailableSince: iso(state.unavailableSince) } })
      outcomes.push('available')
    }
  }

  if (outcomes.length === 0) outcomes.push('verified')
  return { changes, events, outcomes, next, changesResolutions: events.length > 0 }
}

const iso = (d: Date | null): string => (d ?? new Date(0)).toISOString()
