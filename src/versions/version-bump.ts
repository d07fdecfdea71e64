// The server, never the client, decides a new version's number. Pure: the caller passes the highest
// non-cancelled version of each major line it read inside its transaction.
import { compareVersions, formatVersion, type VersionNumber } from './version-number.js'
import type { ReleaseType } from './versions.table.js'

export interface BumpRequest {
  releaseType?: ReleaseType | undefined
  /** Bump the highest version of this major line instead of the highest overall (a fix for 1.x). */
  line?: number | undefined
}

export type BumpResult =
  | { ok: true; version: VersionNumber; releaseType: ReleaseType | null }
  | { ok: false; error: 'RELEASE_TYPE_REQUIRED' | 'MAJOR_WITH_LINE' | 'LINE_NOT_FOUND'; lines: number[] }

export const FIRST_VERSION: VersionNumber = { major: 1, minor: 0, patch: 0 }

/**
 * `lineHeads`: the highest non-cancelled version of each major line, in any order.
 * The first version is always 1.0.0 (and records no release type); after it a release type is required.
 */
export function nextVersion(lineHeads: readonly VersionNumber[], request: BumpRequest): BumpResult {
  const heads = [...lineHeads].sort((a, b) => compareVersions(b, a))
  const lines = heads.map((v) => v.major)
  const { releaseType, line } = request
  if (line !== undefined && releaseType === 'major') return { ok: false, error: 'MAJOR_WITH_LINE', lines }
  const highest = heads[0]
  if (!highest) {
    if (line !== undefined) return { ok: false, error: 'LINE_NOT_FOUND', lines }
    return { ok: true, version: FIRST_VERSION, releaseType: null }
  }
  if (!releaseType) return { ok: false, error: 'RELEASE_TYPE_REQUIRED', lines }
  const base = line === undefined ? highest : heads.find((v) => v.major === line)
  if (!base) return { ok: false, error: 'LINE_NOT_FOUND', lines }
  return { ok: true, version: bump(base, releaseType), releaseType }
}

export function bump(v: VersionNumber, releaseType: ReleaseType): VersionNumber {
  switch (releaseType) {
    case 'major':
      return { major: v.major + 1, minor: 0, patch: 0 }
    case 'minor':
      return { major: v.major, minor: v.minor + 1, patch: 0 }
    case 'patch':
      return { major: v.major, minor: v.minor, patch: v.patch + 1 }
  }
}

/** For messages: "1.x (highest 1.4.2), 2.x (highest 2.0.1)". */
export function describeLines(lineHeads: readonly VersionNumber[]): string {
  const heads = [...lineHeads].sort((a, b) => a.major - b.major)
  return heads.map((v) => `${v.major}.x (highest ${formatVersion(v)})`).join(', ') || 'none yet'
}
