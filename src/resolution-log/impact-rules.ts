import { IN_PROGRESS_STATUSES } from '../versions/version-lifecycle.js'
import { compareVersions, formatVersion, type VersionNumber } from '../versions/version-number.js'
import type { VersionStatus } from '../versions/versions.table.js'

// Which version specs a release would move, from the image's versions. Pure: the database reads the
// versions and the log, these rules decide what to look for.

/** A version of the image as the rules need it. */
export interface ImpactVersion extends VersionNumber {
  status: VersionStatus
  digest: string | null
  /** Verification found its pinned digest gone (or no longer validly signed). */
  unavailable: boolean
}

/** A spec naming a line of versions the target belongs to, and whether its release moves it there. */
export interface SpecMove {
  spec: string
  moves: boolean
  /** The newest released version of the line newer than the target, which keeps the spec where it is. */
  heldBy: string | null
}

/**
 * Not released yet: the impact is who would move on release. Released, withdrawn or cancelled: who
 * resolved the version itself.
 */
export const impactKind = (status: VersionStatus): 'on_release' | 'in_use' =>
  (IN_PROGRESS_STATUSES as readonly VersionStatus[]).includes(status) ? 'on_release' : 'in_use'

interface Line {
  spec: string
  contains(v: VersionNumber): boolean
}

/** The lines holding a version, each under both spellings a pipeline may store (N.* is N.latest). */
function linesOf(v: VersionNumber): Line[] {
  const major = (w: VersionNumber) => w.major === v.major
  const minor = (w: VersionNumber) => w.major === v.major && w.minor === v.minor
  return [
    { spec: `${v.major}.latest`, contains: major },
    { spec: `${v.major}.*`, contains: major },
    { spec: `${v.major}.${v.minor}.latest`, contains: minor },
    { spec: `${v.major}.${v.minor}.*`, contains: minor },
    { spec: 'latest', contains: () => true }
  ]
}

/**
 * A version a consumer can be given today: released (withdrawn is a status of its own), pinned to a
 * digest that can still be pulled. A released version that is rolling out counts: it already serves
 * the projects it reached, and every project at its last stage.
 */
const serves = (v: ImpactVersion): boolean => v.status === 'released' && v.digest !== null && !v.unavailable

/**
 * For each spec of the lines holding `target`: its release moves the spec to it iff no version the
 * spec can serve in that line is newer. Specs in the order N.latest, N.*, N.M.latest, N.M.*, latest.
 */
export function specMoves(target: VersionNumber, versions: readonly ImpactVersion[]): SpecMove[] {
  const newer = versions.filter((v) => serves(v) && compareVersions(v, target) > 0).sort((a, b) => compareVersions(b, a))
  return linesOf(target).map((line) => {
    const holder = newer.find((v) => line.contains(v))
    return { spec: line.spec, moves: holder === undefined, heldBy: holder ? formatVersion(holder) : null }
  })
}
