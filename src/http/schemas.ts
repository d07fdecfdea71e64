import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { ProblemSchema } from './problem.js'

/** A string enum as one `enum` keyword (readable in the contract), typed as the union of its values. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options })

/** A value or null (in requests, null clears a field). */
export const Nullable = <T extends TSchema>(schema: T, options: Record<string, unknown> = {}) => Type.Union([schema, Type.Null()], options)

export const PROJECT_ID_PATTERN = '^[a-z0-9_-]{2,64}$'

export const ProjectId = Type.String({
  pattern: PROJECT_ID_PATTERN,
  description: 'Project id: lower-case letters, digits, "-" and "_", 2–64 characters',
  examples: ['payments-ci']
})

/**
 * Free text stored in PostgreSQL, which refuses NUL characters: refusing them in the schema keeps
 * that a 400 instead of a failed insert (or, for the buffered resolution log, a batch refused again
 * and again).
 */
export const Text = (maxLength: number, options: Record<string, unknown> = {}) =>
  Type.String({ maxLength, pattern: '^[^\\u0000]*$', ...options })

// format 'uuid' alone also takes a urn:uuid: prefix, which PostgreSQL's uuid type refuses (a 500).
export const Uuid = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
  examples: ['0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55']
})

export const Timestamp = Type.String({ format: 'date-time', examples: ['2026-11-26T18:00:00.000Z'] })

export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page (1–100)' }),
  cursor: Type.Optional(Type.String({ maxLength: 512, description: 'The `nextCursor` of the previous page' }))
}

/** A page of items with the cursor of the next page (null on the last page), named `id` in the contract. */
export const Page = <T extends TSchema>(id: string, item: T, description: string, examples?: unknown[]) =>
  Type.Object(
    {
      items: Type.Array(item),
      nextCursor: Type.Union([Type.String(), Type.Null()], {
        description: 'Pass as `cursor` to get the next page; null when there is none'
      })
    },
    { $id: id, title: id, description, additionalProperties: false, ...(examples ? { examples } : {}) }
  )

const RESPONSE_TEXT: Record<number, string> = {
  400: 'The request is malformed or fails validation',
  401: 'No token, or the token is invalid, expired or revoked',
  403: 'The token lacks the scope or project this needs',
  404: 'The resource does not exist (or is not visible to this token)',
  408: 'The request did not arrive in time; the connection is closed',
  409: 'The request conflicts with the current state',
  410: 'The resource existed but has been withdrawn',
  412: 'If-Match does not match the current ETag',
  413: 'The request body is too large',
  414: 'A path segment is too long',
  415: 'The body is not JSON',
  422: 'The request is well-formed but cannot be processed',
  428: 'A precondition header is required',
  431: 'The request headers are too large',
  500: 'An unexpected error; it is logged under the requestId',
  503: 'The database is unreachable; retry after Retry-After'
}

/** Documents error responses as RFC 9457 problems, for a route's `response` schema. */
export function problemResponses(...statuses: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {}
  for (const status of statuses) {
    out[status] = {
      description: RESPONSE_TEXT[status] ?? 'Problem',
      content: { 'application/problem+json': { schema: ref(ProblemSchema) } }
    }
  }
  return out
}

/** The error responses every authenticated route can give. */
export const AUTH_PROBLEMS = [400, 401, 403, 503]

/** A reference to a named component (a schema with an $id added at the root), typed as the schema. */
export const ref = <T extends TSchema & { $id?: string }>(schema: T, description?: string) => {
  if (!schema.$id) throw new Error('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>({ $ref: schema.$id, ...(description ? { description } : {}) })
}
