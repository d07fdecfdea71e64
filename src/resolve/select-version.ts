import { isVisibleTo, type ImageAccess } from '../images/image-access.js'
import { parseVersion } from '../versions/version-number.js'
import type { SnapshotVersion } from './image-snapshot.js'

// What a spec such as `1.latest` gives a project, from an image's snapshot. Pure: the spec
// grammar, who sees what, and the choice.

/** A spec as a pipeline stores it. */
export type VersionSpec =
  | { kind: 'exact'; major: number; minor: number; patch: number }
  /** Newest candidate, optionally within one major (and minor) line. */
  | { kind: 'latest'; major?: number; minor?: number }

export const SPEC_GRAMMAR = ['N.latest', 'N.M.latest', 'latest', 'X.Y.Z', 'N.*', 'N.M.*'] as const

export const SPEC_GRAMMAR_TEXT =
  'N.latest (newest in major N), N.M.latest (newest patch of N.M), latest (newest of all), X.Y.Z (exact); N.* and N.M.* are aliases of N.latest and N.M.latest; numbers are plain non-negative integers (no leading zeros)'

/** The spec, or undefined when it does not follow SPEC_GRAMMAR. */
export function parseVersionSpec(text: string): VersionSpec | undefined {
  if (text === 'latest') return { kind: 'latest' }
  const dot = text.lastIndexOf('.')
  const last = text.slice(dot + 1)
  if (last !== 'latest' && last !== '*') {
    const exact = parseVersion(text)
    return exact && { kind: 'exact', major: exact.major, minor: exact.minor, patch: exact.patch }
  }
  const line = text.slice(0, dot)
  const parts = line.split('.').length
  if (dot < 0 || parts > 2) return undefined
  // A line's numbers are valid exactly when N.0.0 (or N.M.0) is a version number: one definition
  // of a number, version-number's.
  const start = parseVersion(parts === 1 ? `${line}.0.0` : `${line}.0`)
  if (!start) return undefined
  return parts === 1 ? { kind: 'latest', major: start.major } : { kind: 'latest', major: start.major, minor: start.minor }
}

/**
 * How the asking project stands to the image: one it is not visible to gets nothing (isVisibleTo:
 * public, owner, debug project, or listed in visibility.projects); the debug project also gets the
 * image's testing version; everyone else its released ones.
 */
export type Audience = 'none' | 'debug' | 'consumer'

export function audienceOf(image: ImageAccess, project: string): Audience {
  if (!isVisibleTo(image, project)) return 'none'
  return project === image.debugProject ? 'debug' : 'consumer'
}

export type Selection =
  | { kind: 'resolved'; version: SnapshotVersion }
  /** Nothing matches; `newest` is the newest version this project could resolve at all. */
  | { kind: 'no-match'; newest: SnapshotVersion | undefined }
  /** An exact request for a withdrawn version; `serving` is what N.latest of its major gives now. */
  | { kind: 'withdrawn'; version: SnapshotVersion; serving: SnapshotVersion | undefined }
  /** An exact request for a version this project could use but whose pinned digest cannot be pulled now; `serving` as for withdrawn. */
  | { kind: 'unavailable'; version: SnapshotVersion; serving: SnapshotVersion | undefined }

/**
 * Released versions are offered to everyone; a testing version only to the image's debug project
 * (that is how a publisher tries it before releasing). A version without a digest cannot be
 * pinned, so it is never offered.
 */
const isOffered = (v: SnapshotVersion, debugProject: boolean): boolean =>
  v.digest !== null && (v.status === 'released' || (debugProject && v.status === 'testing'))

/**
 * An offered version is a candidate while its pinned digest can be pulled: handing out one that
 * verification found gone (or no longer validly signed) would fail the job at its first pull.
 */
export const isCandidate = (v: SnapshotVersion, debugProject: boolean): boolean => v.unavailable === null && isOffered(v, debugProject)

/** Which version the spec picks; `versions` are sorted newest first (numerically), as a snapshot keeps them. */
export function selectVersion(versions: readonly SnapshotVersion[], spec: VersionSpec, debugProject: boolean): Selection {
  const candidates = versions.filter((v) => isCandidate(v, debugProject))
  if (spec.kind === 'latest') {
    const match = candidates.find(
      (v) => (spec.major === undefined || v.major === spec.major) && (spec.minor === undefined || v.minor === spec.minor)
    )
    return match ? { kind: 'resolved', version: match } : { kind: 'no-match', newest: candidates[0] }
  }
  const exact = versions.find((v) => v.major === spec.major && v.minor === spec.minor && v.patch === spec.patch)
  if (!exact) return { kind: 'no-match', newest: candidates[0] }
  if (isCandidate(exact, debugProject)) return { kind: 'resolved', version: exact }
  const serving = candidates.find((v) => v.major === exact.major)
  if (exact.status === 'withdrawn') return { kind: 'withdrawn', version: exact, serving }
  // Told only to a project it is offered to: anyone else learns no more of it than of any version they cannot use.
  if (isOffered(exact, debugProject)) return { kind: 'unavailable', version: exact, serving }
  return { kind: 'no-match', newest: candidates[0] }
}
