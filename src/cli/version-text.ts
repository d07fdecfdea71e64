import type { Schemas } from '../client/index.js'

type Version = Schemas['Version']

/** What re-verification found that a publisher must act on: the digest gone, or the tag moved. */
function verificationNotes(v: Version): string {
  const notes: string[] = []
  const { available, unavailableSince, unavailableReason, drift } = v.verification
  if (!available) notes.push(`unavailable since ${unavailableSince ?? '?'}: ${unavailableReason ?? 'no reason recorded'}`)
  if (drift) {
    const now = drift.upstreamDigest === null ? 'no longer exists' : `now points at ${drift.upstreamDigest}`
    notes.push(`drifted: tag ${v.tag} ${now} (since ${drift.firstSeenAt})`)
  }
  return notes.length > 0 ? ` [${notes.join('; ')}]` : ''
}

/** One line per version: what a publisher needs to act on its status. */
export function versionLine(v: Version): string {
  const base = `${v.imageCode} ${v.version} ${v.status}`
  if (v.status === 'check_failed') return `${base} (${v.checkClass ?? 'unclassified'}): ${v.statusReason ?? ''}`
  if (v.status === 'withdrawn') return `${base}: ${v.withdrawReason ?? ''}`
  return `${base} ${v.pinnedReference ?? v.reference}${verificationNotes(v)}`
}
