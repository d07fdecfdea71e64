// Versions are three integers, compared numerically: as strings 1.10.0 would sort before 1.9.0.

export interface VersionNumber {
  major: number
  minor: number
  patch: number
}

// Nine digits at most per part, so every valid number fits the integer columns.
const PART = '(0|[1-9][0-9]{0,8})'
export const VERSION_PATTERN = `^${PART}\\.${PART}\\.${PART}$`
const VERSION_RE = new RegExp(VERSION_PATTERN)

/** 'M.m.p' → numbers; undefined for anything else (leading zeros, pre-release suffixes, …). */
export function parseVersion(text: string): VersionNumber | undefined {
  const match = VERSION_RE.exec(text)
  if (!match) return undefined
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) }
}

export const formatVersion = (v: VersionNumber): string => `${v.major}.${v.minor}.${v.patch}`

/** Negative when a < b, positive when a > b, 0 when equal. */
export function compareVersions(a: VersionNumber, b: VersionNumber): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch
}
