// Idempotency-Key: a client that retries a request (timeout, lost connection) with the same key and
// body gets the original answer instead of a second change or a conflict.
import { Type } from '@sinclair/typebox'
import { unprocessable } from '../http/problem.js'
import type { IdempotencyRecord, StoredResponse } from './idempotency.repository.js'

export const IDEMPOTENCY_HEADER = 'idempotency-key'
/** Keys are remembered for a day: long enough for any client retry, short enough to stay small. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000
/** Replayed answers say so, so a client can tell a replay from a fresh success. */
export const REPLAYED_HEADER = 'idempotency-replayed'

export const IdempotencyKeyHeader = Type.Object({
  [IDEMPOTENCY_HEADER]: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description:
        'Any unique string (a UUID is fine): a retry with the same key and body returns the original answer; the same key with another body is a 422. Remembered for 24 hours, per token.',
      examples: ['5f0c1f7e-2b1a-4c8e-9d3f-0a6b7c8d9e10']
    })
  )
})

/** The stored answer when the body is the same; a 422 when the key was used for another request. */
export function replayOrReject(record: IdempotencyRecord, requestHash: string, key: string): StoredResponse {
  if (record.requestHash !== requestHash) {
    throw unprocessable(
      'IDEMPOTENCY_KEY_REUSED',
      `Idempotency-Key "${key}" was already used at ${record.createdAt.toISOString()} with a different request body; use a new key for a new request, or resend the original body to get its answer.`
    )
  }
  return { status: record.status, headers: { ...record.headers, [REPLAYED_HEADER]: 'true' }, body: record.body }
}
