import type { SnapshotVersion } from './image-snapshot.js'
import type { VersionSpec } from './version-spec.js'

// Which version a spec picks. Pure; `versions` must be sorted newest first (numerically).

export type Selection =
  | { kind: 'resolved'; version: SnapshotVersion }
  /** Nothing matches; `newest` is the newest version this project could resolve at all. */
  | { kind: 'no-match'; newest: SnapshotVersion | undefined }
  /** An exact request for a withdrawn version; `serving` is what N.latest of its major gives now. */
  | { kind: 'withdrawn'; version: SnapshotVersion; serving: SnapshotVersion | undefined }

/**
 * Released versions are candidates for everyone; a testing version only for the image's debug
 * project (that is how a publisher tries it before releasing). A version without a digest cannot
 * be pinned, so it is never handed out.
 */
export const isCandidate = (v: SnapshotVersion, debugProject: boolean): boolean =>
  v.digest !== null && (v.status === 'released' || (debugProject && v.status === 'testing'))

export function selectVersion(versions: readonly SnapshotVersion[], spec: VersionSpec, debugProject: boolean): Selection {
  const candidates = versions.filter((v) => isCandidate(v, debugProject))
  if (spec.kind === 'latest') {
    const match = candidates.find((v) => (spec.major === undefined || v.major === spec.major) && (spec.minor === undefined || v.minor === spec.minor))
    return match ? { kind: 'resolved', version: match } : { kind: 'no-match', newest: candidates[0] }
  }
  const exact = versions.find((v) => v.major === spec.major && v.minor === spec.minor && v.patch === spec.patch)
  if (exact && isCandidate(exact, debugProject)) return { kind: 'resolved', version: exact }
  if (exact?.status === 'withdrawn') return { kind: 'withdrawn', version: exact, serving: candidates.find((v) => v.major === exact.major) }
  return { kind: 'no-match', newest: candidates[0] }
}
