import { badRequest } from './problem.js'

// Keyset cursors: the sort key of the last item of a page, as opaque base64url JSON. Clients
// must not build them; a cursor that does not decode to the expected shape is a 400, never a 500.
// Every kind is checked as strictly as the column it is compared with, because a forged value
// that passes here reaches SQL as a parameter (a failed cast there would be a 500).
export function encodeCursor(values: ReadonlyArray<string | number | null>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url')
}

type Kind = 'string' | 'string|null' | 'int' | 'id' | 'uuid' | 'date' | 'timestamp' | 'timestamp|null'
type Decoded<K> = K extends 'int' | 'id'
  ? number
  : K extends 'date'
    ? Date
    : K extends 'string|null' | 'timestamp|null'
      ? string | null
      : string

// An exact UTC timestamp as text (microseconds kept), years 0001–9999 as PostgreSQL and toISOString agree.
const TIMESTAMP = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const INT4_MAX = 2 ** 31 - 1

// Also refuses dates JavaScript rolls over (February 31st) but PostgreSQL rejects.
const isTimestamp = (v: unknown): v is string => {
  if (typeof v !== 'string' || !TIMESTAMP.test(v)) return false
  const date = new Date(v)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 19) === v.slice(0, 19)
}
// PostgreSQL text cannot hold NUL.
const isText = (v: unknown): v is string => typeof v === 'string' && !v.includes('\u0000')

function decodeOne(kind: Kind, v: unknown): unknown {
  switch (kind) {
    case 'string':
      return isText(v) ? v : undefined
    case 'string|null':
      return v === null || isText(v) ? v : undefined
    case 'int': // an int4 column (version numbers)
      return Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= INT4_MAX ? v : undefined
    case 'id': // a bigserial column
      return Number.isSafeInteger(v) && (v as number) >= 0 ? v : undefined
    case 'uuid':
      return typeof v === 'string' && UUID.test(v) ? v : undefined
    case 'date':
      return isTimestamp(v) ? new Date(v) : undefined
    case 'timestamp':
      return isTimestamp(v) ? v : undefined
    case 'timestamp|null':
      return v === null || isTimestamp(v) ? v : undefined
  }
}

export function decodeCursor<T extends ReadonlyArray<Kind>>(cursor: string, shape: T): { [K in keyof T]: Decoded<T[K]> } {
  const invalid = () =>
    badRequest(
      'INVALID_CURSOR',
      'The cursor is not one this service issued; pass the nextCursor of the previous page unchanged, or omit it to start over.'
    )
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (!Array.isArray(values) || values.length !== shape.length) throw invalid()
  return shape.map((kind, i) => {
    const decoded = decodeOne(kind, values[i])
    if (decoded === undefined) throw invalid()
    return decoded
  }) as never
}

/**
 * A page from rows fetched with `limit + 1`: the extra row only says there is a next page, whose
 * cursor is the sort key of the last row shown.
 */
export function keysetPage<Row, Item>(
  rows: readonly Row[],
  limit: number,
  toItem: (row: Row) => Item,
  sortKey: (row: Row) => ReadonlyArray<string | number | null>
): { items: Item[]; nextCursor: string | null } {
  const page = rows.slice(0, limit)
  const last = page.at(-1)
  return { items: page.map(toItem), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(sortKey(last)) : null }
}
