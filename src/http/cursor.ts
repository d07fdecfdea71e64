import { badRequest } from './problem.js'

// Keyset cursors: the sort key of the last item of a page, as opaque base64url JSON. Clients
// must not build them; a cursor that does not decode to the expected shape is a 400, never a 500.
export function encodeCursor(values: ReadonlyArray<string | number | null>): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url')
}

// 'timestamp' is an exact UTC timestamp as text (microseconds kept), checked before it reaches SQL.
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/

export function decodeCursor<T extends ReadonlyArray<'string' | 'number' | 'date' | 'timestamp' | 'string|null'>>(
  cursor: string,
  shape: T
): { [K in keyof T]: T[K] extends 'number' ? number : T[K] extends 'date' ? Date : T[K] extends 'string|null' ? string | null : string } {
  const invalid = () => badRequest('INVALID_CURSOR', 'The cursor is not one this service issued; pass the nextCursor of the previous page unchanged, or omit it to start over.')
  let values: unknown
  try {
    values = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (!Array.isArray(values) || values.length !== shape.length) throw invalid()
  return shape.map((kind, i) => {
    const v: unknown = values[i]
    if (kind === 'number' && typeof v === 'number' && Number.isFinite(v)) return v
    if (kind === 'string' && typeof v === 'string') return v
    if (kind === 'string|null' && (typeof v === 'string' || v === null)) return v
    if (kind === 'date' && typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v)
    if (kind === 'timestamp' && typeof v === 'string' && TIMESTAMP.test(v) && !Number.isNaN(Date.parse(v))) return v
    throw invalid()
  }) as never
}
