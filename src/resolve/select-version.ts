import { isVisibleTo, type ImageAccess } from '../images/image-access.js'
import { reaches } from '../rollouts/rollout-reach.js'
import { parseVersion } from '../versions/version-number.js'
import type { SnapshotVersion } from './image-snapshot.js'

// What a spec such as `1.latest` gives a project, from an image's snapshot. Pure: the spec
// grammar, who sees what, why a version is passed over, and the choice. Explain shows the same
// reasons, from the same functions.

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
 * image's versions before release; everyone else its released ones.
 */
export type Audience = 'none' | 'debug' | 'consumer'

export function audienceOf(image: ImageAccess, project: string): Audience {
  if (!isVisibleTo(image, project)) return 'none'
  return project === image.debugProject ? 'debug' : 'consumer'
}

/** A project the image is visible to, as selection needs it (imageId places it in a rollout). */
export interface Asker {
  project: string
  debug: boolean
  imageId: string
}

export type SkipReason = 'no_digest' | 'withdrawn' | 'unavailable' | 'not_released' | 'awaiting_approval' | 'rollout_not_reached'

export const SKIP_REASONS = [
  'no_digest',
  'withdrawn',
  'unavailable',
  'not_released',
  'awaiting_approval',
  'rollout_not_reached'
] as const satisfies readonly SkipReason[]

/**
 * Why the asker cannot be given the version (null: it can). The debug project gets versions before
 * release (testing, awaiting approval) to try them, and every rollout reaches it. A version without a
 * digest cannot be pinned. One whose pinned digest cannot be pulled (verification found it gone, or
 * no longer validly signed) would fail the job at its first pull. A rollout limits only the floating
 * specs (`exact` false): an exact X.Y.Z is an opt-in, resolved for every project the image is visible to.
 *
 * Withdrawn comes first (gone for good, whatever else holds), and what the asker may not know of at
 * all (not released, awaiting approval) before unavailable, so an exact request's answer follows
 * from the reason alone: 410 only for withdrawn and unavailable.
 */
export function skipReason(v: SnapshotVersion, asker: Asker, exact: boolean): SkipReason | null {
  if (v.status === 'withdrawn') return 'withdrawn'
  if (v.digest === null) return 'no_digest'
  if (v.status === 'testing' && !asker.debug) return 'not_released'
  if (v.status === 'awaiting_approval' && !asker.debug) return 'awaiting_approval'
  if (v.unavailable !== null) return 'unavailable'
  if (v.rollout !== null && !exact && !asker.debug && !reaches(v.rollout.reach, asker.imageId, asker.project)) return 'rollout_not_reached'
  return null
}

export type Selection =
  | { kind: 'resolved'; version: SnapshotVersion }
  /** Nothing matches; `newest` is the newest version this project could resolve at all. */
  | { kind: 'no-match'; newest: SnapshotVersion | undefined }
  /** An exact request for a withdrawn version; `serving` is what N.latest of its major gives now. */
  | { kind: 'withdrawn'; version: SnapshotVersion; serving: SnapshotVersion | undefined }
  /** An exact request for a version this project could use but whose pinned digest cannot be pulled now; `serving` as for withdrawn. */
  | { kind: 'unavailable'; version: SnapshotVersion; serving: SnapshotVersion | undefined }

/** Whether the version is one the spec asks for, before anything about the asker. */
export const inSpec = (v: SnapshotVersion, spec: VersionSpec): boolean =>
  spec.kind === 'latest'
    ? (spec.major === undefined || v.major === spec.major) && (spec.minor === undefined || v.minor === spec.minor)
    : v.major === spec.major && v.minor === spec.minor && v.patch === spec.patch

/** The newest version a floating spec within `major` (all majors when undefined) gives the asker. */
function newestCandidate(versions: readonly SnapshotVersion[], asker: Asker, major?: number): SnapshotVersion | undefined {
  for (const v of versions) if ((major === undefined || v.major === major) && skipReason(v, asker, false) === null) return v
  return undefined
}

/** Which version the spec picks for the asker; `versions` are sorted newest first (numerically), as a snapshot keeps them. */
export function selectVersion(versions: readonly SnapshotVersion[], spec: VersionSpec, asker: Asker): Selection {
  if (spec.kind === 'latest') {
    for (const v of versions) if (inSpec(v, spec) && skipReason(v, asker, false) === null) return { kind: 'resolved', version: v }
    return { kind: 'no-match', newest: newestCandidate(versions, asker) }
  }
  const exact = versions.find((v) => inSpec(v, spec))
  if (!exact) return { kind: 'no-match', newest: newestCandidate(versions, asker) }
  const reason = skipReason(exact, asker, true)
  if (reason === null) return { kind: 'resolved', version: exact }
  if (reason === 'withdrawn') return { kind: 'withdrawn', version: exact, serving: newestCandidate(versions, asker, exact.major) }
  if (reason === 'unavailable') return { kind: 'unavailable', version: exact, serving: newestCandidate(versions, asker, exact.major) }
  // Told only to a project it is offered to: anyone else learns no more of it than of any version they cannot use.
  return { kind: 'no-match', newest: newestCandidate(versions, asker) }
}
