/**
 * Log rows as lines of PostgreSQL's COPY text format (one row a line, columns separated by tabs,
 * `\N` for null). Pure: copy-log-writer.ts sends the lines.
 *
 * In that format a backslash starts an escape, and a tab, newline or carriage return inside a value
 * would end the column or the row: those four are escaped, everything else goes as it is (the
 * server reads the bytes as UTF-8, as it does a query parameter). A value that is exactly `\N`
 * reaches the server as `\\N`, the two characters, not null. Uuids, counts and times cannot hold
 * any of the four and are not looked at.
 */
import type { GrantRecord, ResolutionRecord } from './log-inserts.js'

const SPECIAL = /[\\\t\n\r]/
const SPECIALS = /[\\\t\n\r]/g
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' }
const escape = (c: string): string => ESCAPES[c] ?? c

/** A text value as one column of a COPY text line. */
export function copyText(value: string | null): string {
  if (value === null) return '\\N'
  // Almost every value has nothing to escape: testing first returns it without a copy.
  return SPECIAL.test(value) ? value.replace(SPECIALS, escape) : value
}

/** A uuid (or null) as one column: nothing in it needs escaping. */
const copyUuid = (value: string | null): string => (value === null ? '\\N' : value)

// Rows of a batch fall within a few seconds: the part of their time down to the second is
// formatted once per second, the milliseconds appended (toISOString for every time was most of the
// cost of a line).
let cachedSecond = Number.NaN
let cachedPrefix = ''
// Years 0000 to 9999: beyond them toISOString writes a six-digit signed year, and is used as is.
const LAST_FOUR_DIGIT_MS = 253_402_300_800_000

/** A time as one column, in toISOString's format (UTC, milliseconds). */
export function copyTime(time: Date): string {
  const ms = time.getTime()
  if (!(ms >= 0 && ms < LAST_FOUR_DIGIT_MS)) return time.toISOString()
  const second = Math.floor(ms / 1000)
  if (second !== cachedSecond) {
    cachedPrefix = time.toISOString().slice(0, 19)
    cachedSecond = second
  }
  const fraction = ms - second * 1000
  return `${cachedPrefix}${fraction < 10 ? '.00' : fraction < 100 ? '.0' : '.'}${fraction}Z`
}

/** The columns resolutionLine fills, in its order, for `copy resolutions (…)`. */
export const RESOLUTION_COLUMNS =
  'image_id, spec, version, status, digest, project, pipeline, build, token_id, count, first_resolved_at, resolved_at'

/** One resolution as a COPY text line, newline included. */
export function resolutionLine(r: ResolutionRecord): string {
  const resolvedAt = copyTime(r.resolvedAt)
  // A row that stands for one resolution has the same first and last time: formatted once.
  const firstResolvedAt = r.firstResolvedAt.getTime() === r.resolvedAt.getTime() ? resolvedAt : copyTime(r.firstResolvedAt)
  return `${r.imageId}\t${copyText(r.spec)}\t${copyText(r.version)}\t${copyText(r.status)}\t${copyText(r.digest)}\t${copyText(r.project)}\t${copyText(r.pipeline)}\t${copyText(r.build)}\t${copyUuid(r.tokenId)}\t${r.count}\t${firstResolvedAt}\t${resolvedAt}\n`
}

/** The columns grantLine fills, in its order, for `copy pull_secret_grants (…)`. */
export const GRANT_COLUMNS = 'credential_id, image_id, version, project, pipeline, build, token_id, token_name, granted_at'

/** One pull-secret grant as a COPY text line, newline included. */
export function grantLine(g: GrantRecord): string {
  return `${g.credentialId}\t${g.imageId}\t${copyText(g.version)}\t${copyText(g.project)}\t${copyText(g.pipeline)}\t${copyText(g.build)}\t${g.tokenId}\t${copyText(g.tokenName)}\t${copyTime(g.grantedAt)}\n`
}

/** Lines `start` to `end` (exclusive) of rows as one string, for one write of a COPY stream. */
export function copyChunk<T>(rows: readonly T[], start: number, end: number, line: (row: T) => string): string {
  let text = ''
  for (let i = start; i < end; i++) text += line(rows[i] as T)
  return text
}
