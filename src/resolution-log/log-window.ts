import { Type } from '@sinclair/typebox'
import { durationMs } from '../config.js'
import { badRequest } from '../http/problem.js'
import { DAY_MS } from './log-partitions.js'

/**
 * Every read of the resolution log is bounded by time, so it reads the partitions of its days and no
 * more: at 10^8 rows an unbounded query (an image nobody resolved lately, a project with no rows)
 * would read every day of the retention. Thirty days unless the request says otherwise.
 */
export const DEFAULT_LOG_WINDOW = '30d'
export const DEFAULT_LOG_WINDOW_MS = durationMs(DEFAULT_LOG_WINDOW)

const WINDOW_PATTERN = '^[1-9][0-9]*(h|d)$'

/** The `window` query parameter: how far back from now a read of the log goes. */
export const LogWindow = Type.String({
  pattern: WINDOW_PATTERN,
  maxLength: 8,
  default: DEFAULT_LOG_WINDOW,
  description: 'How far back to read the resolution log: hours or days (e.g. 72h, 30d), at most its retention (RESOLUTION_RETENTION_DAYS)',
  examples: [DEFAULT_LOG_WINDOW]
})

/** The start of a window (a `window` parameter, already valid by its pattern); 400 past the retention. */
export function windowStart(window: string, retentionDays: number, now: Date): Date {
  const windowMs = durationMs(window)
  // A longer window would read as if nobody had resolved what the log no longer holds.
  if (windowMs > retentionDays * DAY_MS) {
    const message = `must be at most the resolution log's retention, ${retentionDays}d`
    throw badRequest('VALIDATION_FAILED', `The request is invalid: querystring.window ${message}.`, {
      errors: [{ path: 'querystring.window', message }]
    })
  }
  return new Date(now.getTime() - windowMs)
}

/** A `since`/`until` pair: since defaults to the default window before until (or now); since must come before until. */
export function timeRange(since: Date | undefined, until: Date | undefined, now: Date): { since: Date; until?: Date } {
  const start = since ?? new Date((until ?? now).getTime() - DEFAULT_LOG_WINDOW_MS)
  if (until && start.getTime() >= until.getTime()) {
    const message = 'must be before until'
    throw badRequest('VALIDATION_FAILED', `The request is invalid: querystring.since ${message}.`, {
      errors: [{ path: 'querystring.since', message }]
    })
  }
  return until ? { since: start, until } : { since: start }
}
