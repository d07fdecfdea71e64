// The version specs a pipeline may store. Pure: parsing and formatting only.

export type VersionSpec =
  | { kind: 'exact'; major: number; minor: number; patch: number }
  /** Newest candidate, optionally within one major (and minor) line. */
  | { kind: 'latest'; major?: number; minor?: number }

export const SPEC_GRAMMAR = ['N.latest', 'N.M.latest', 'latest', 'X.Y.Z', 'N.*', 'N.M.*'] as const

export const SPEC_GRAMMAR_TEXT =
  'N.latest (newest in major N), N.M.latest (newest patch of N.M), latest (newest of all), X.Y.Z (exact); N.* and N.M.* are aliases of N.latest and N.M.latest; numbers are plain non-negative integers (no leading zeros)'

// Nine digits at most keeps every number inside the database's integer column.
const NUMBER = /^(0|[1-9][0-9]{0,8})$/
const LATEST = new Set(['latest', '*'])

/** The spec, or undefined when it does not follow SPEC_GRAMMAR. */
export function parseVersionSpec(text: string): VersionSpec | undefined {
  if (text === 'latest') return { kind: 'latest' }
  const parts = text.split('.')
  if (parts.length < 2 || parts.length > 3) return undefined
  const last = parts.at(-1) as string
  const numbers = (LATEST.has(last) ? parts.slice(0, -1) : parts).map((p) => (NUMBER.test(p) ? Number(p) : undefined))
  if (numbers.some((n) => n === undefined)) return undefined
  const [major, minor, patch] = numbers as number[]
  if (LATEST.has(last)) return minor === undefined ? { kind: 'latest', major } : { kind: 'latest', major, minor }
  if (parts.length === 3) return { kind: 'exact', major: major as number, minor: minor as number, patch: patch as number }
  return undefined
}

export interface VersionNumber {
  major: number
  minor: number
  patch: number
}

export const formatVersion = (v: VersionNumber): string => `${v.major}.${v.minor}.${v.patch}`

/** Numeric order, newest first: 1.10.0 before 1.9.0. */
export const newestFirst = (a: VersionNumber, b: VersionNumber): number => b.major - a.major || b.minor - a.minor || b.patch - a.patch
