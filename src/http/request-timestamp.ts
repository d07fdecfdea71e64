import { badRequest } from './problem.js'

// Ajv's date-time accepts what neither PostgreSQL nor toISOString can hold: a leap second
// (23:59:60, an Invalid Date here) or a time whose offset carries it past 9999-12-31 in UTC.
const MIN = Date.UTC(1, 0, 1)
const MAX = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/** A date-time from a request (already valid by its schema) as a Date both ends can store; 400 otherwise. */
export function requestTimestamp(text: string, field: string): Date {
  const date = new Date(text)
  const time = date.getTime()
  if (Number.isNaN(time) || time < MIN || time > MAX) {
    throw badRequest(
      'INVALID_TIMESTAMP',
      `${field} "${text}" is not a time this service can store: give one between 0001-01-01 and 9999-12-31 (UTC), without a leap second, e.g. 2026-11-26T18:00:00Z.`,
      { field }
    )
  }
  return date
}
