import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Page, PageQuery, StringEnum, Timestamp, Uuid, ref } from '../http/schemas.js'

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const
export const ATTEMPT_OUTCOMES = ['succeeded', 'retry', 'failed', 'gone', 'handed_back'] as const

const DELIVERY_EXAMPLE = {
  id: 81,
  eventId: 1042,
  eventType: 'version.released',
  status: 'pending',
  attempts: 2,
  lastStatusCode: 503,
  lastError: 'the receiver answered 503',
  lastDurationMs: 184,
  nextAttemptAt: '2026-12-01T18:35:05.000Z',
  createdAt: '2026-12-01T18:05:00.120Z',
  completedAt: null
}

const DeliveryFields = {
  id: Type.Integer({ description: 'The delivery; webhook-id is msg_<id>, the same on every attempt' }),
  eventId: Type.Integer({ description: 'The event delivered (its id in the catalog feed and the CloudEvent id)' }),
  eventType: Nullable(Type.String(), { description: 'The type of the event; null if the event is no longer stored' }),
  status: StringEnum(DELIVERY_STATUSES, {
    description: 'pending (not yet delivered: due at nextAttemptAt), succeeded (a 2xx), failed (given up after the last retry, or 410)'
  }),
  attempts: Type.Integer({ minimum: 0, description: 'Attempts made so far' }),
  lastStatusCode: Nullable(Type.Integer(), { description: 'The HTTP status of the last attempt; null when none came back' }),
  lastError: Nullable(Type.String(), { description: 'Why the last attempt failed' }),
  lastDurationMs: Nullable(Type.Integer(), { description: 'How long the last attempt took' }),
  nextAttemptAt: Nullable(Timestamp, { description: 'When it is tried next (pending only)' }),
  createdAt: Timestamp,
  completedAt: Nullable(Timestamp, { description: 'When it succeeded or was given up' })
}

export const WebhookDeliverySchema = Type.Object(DeliveryFields, {
  $id: 'WebhookDelivery',
  title: 'WebhookDelivery',
  description: 'One event delivered (or being delivered) to one subscription',
  additionalProperties: false,
  examples: [DELIVERY_EXAMPLE]
})
export type WebhookDelivery = Static<typeof WebhookDeliverySchema>

const ATTEMPT_EXAMPLE = {
  attempt: 1,
  startedAt: '2026-12-01T18:05:00.300Z',
  durationMs: 15002,
  statusCode: null,
  error: 'no answer within 15000 ms',
  outcome: 'retry'
}

export const WebhookDeliveryAttemptSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1, description: 'Its number within the delivery (counted again from 1 after a redeliver)' }),
    startedAt: Timestamp,
    durationMs: Type.Integer(),
    statusCode: Nullable(Type.Integer(), { description: "The receiver's HTTP status; null when none came back" }),
    error: Nullable(Type.String()),
    outcome: StringEnum(ATTEMPT_OUTCOMES, {
      description:
        'succeeded (2xx), retry (failed, tried again later), failed (failed, given up), gone (410: the subscription was disabled), handed_back (interrupted by a shutdown, not counted)'
    })
  },
  {
    $id: 'WebhookDeliveryAttempt',
    title: 'WebhookDeliveryAttempt',
    additionalProperties: false,
    examples: [ATTEMPT_EXAMPLE]
  }
)

export const WebhookDeliveryDetailSchema = Type.Object(
  {
    ...DeliveryFields,
    attemptLog: Type.Array(ref(WebhookDeliveryAttemptSchema), { description: 'Every attempt, oldest first' })
  },
  {
    $id: 'WebhookDeliveryDetail',
    title: 'WebhookDeliveryDetail',
    description: 'A delivery with its attempts',
    additionalProperties: false,
    examples: [{ ...DELIVERY_EXAMPLE, attemptLog: [ATTEMPT_EXAMPLE] }]
  }
)
export type WebhookDeliveryDetail = Static<typeof WebhookDeliveryDetailSchema>

export const ListDeliveriesQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(StringEnum(DELIVERY_STATUSES, { description: 'Only deliveries in this status' }))
  },
  { additionalProperties: false }
)
export type ListDeliveriesQuery = Static<typeof ListDeliveriesQuery>

export const WebhookDeliveryPageSchema = Page('WebhookDeliveryPage', ref(WebhookDeliverySchema), 'A page of deliveries, newest first', [
  { items: [DELIVERY_EXAMPLE], nextCursor: null }
])

export const DeliveryParams = Type.Object(
  { id: Uuid, deliveryId: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'The delivery id' }) },
  { additionalProperties: false }
)

export const deliverySchemas = [WebhookDeliverySchema, WebhookDeliveryAttemptSchema, WebhookDeliveryDetailSchema, WebhookDeliveryPageSchema]
