/**
 * Usage of a version (projects, counts, last time) over a window is summed from the log's daily
 * summary for the whole days it has, and from the log itself for the rest: the part of the first
 * day after `since`, and the days not summed yet (today, yesterday for an hour). Pure.
 */
import { CLOSED_AFTER_MS, DAY_MS } from './log-partitions.js'
/** Days summed per maintenance run at most, so a first run over a long log stays short; the next runs go on. */
export const ROLLUP_DAYS_PER_RUN = 7
/** Reads of the log are bounded above too (future days are not planned): rows are never dated later than this ahead. */
export const CLOCK_SKEW_MS = 3_600_000

const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS

/**
 * The closed days (see CLOSED_AFTER_MS) to sum next, oldest first: from where the summing stopped, or (never summed)
 * from the oldest day of the log.
 */
export function daysToRollUp(rolledUntil: Date | undefined, oldestDay: Date | undefined, now: Date): Date[] {
  const start = rolledUntil ?? oldestDay
  if (!start) return []
  const days: Date[] = []
  for (
    let day = dayStart(start.getTime());
    day + DAY_MS + CLOSED_AFTER_MS <= now.getTime() && days.length < ROLLUP_DAYS_PER_RUN;
    day += DAY_MS
  )
    days.push(new Date(day))
  return days
}

export interface TimeRange {
  from: Date
  /** Exclusive. */
  to: Date
}

export interface UsagePlan {
  /** Whole days read from the summary. */
  summed?: TimeRange
  /** Times read from the log itself. */
  raw: TimeRange[]
}

/** Where each part of the window [since, now] is read from, given the summary is complete before rolledUntil. */
export function usagePlan(since: Date, rolledUntil: Date | undefined, now: Date): UsagePlan {
  const end = new Date(now.getTime() + CLOCK_SKEW_MS)
  const firstWholeDay = dayStart(since.getTime() + DAY_MS - 1)
  if (!rolledUntil || firstWholeDay >= rolledUntil.getTime()) return { raw: [{ from: since, to: end }] }
  const summed = { from: new Date(firstWholeDay), to: rolledUntil }
  const head = firstWholeDay > since.getTime() ? [{ from: since, to: summed.from }] : []
  return { summed, raw: [...head, { from: rolledUntil, to: end }] }
}
