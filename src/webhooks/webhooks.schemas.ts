import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Page, PageQuery, ProjectId, StringEnum, Text, Timestamp, Uuid, ref } from '../http/schemas.js'
import { ALL_EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from './event-types.js'

const ImageCode = Type.String({ pattern: '^[a-z][a-z0-9_-]{2,63}$', description: 'An image code', examples: ['node-20'] })
const ReceiverUrl = Type.String({
  minLength: 1,
  maxLength: 2048,
  description:
    'Where deliveries are POSTed: https (plain http only to hosts listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS), no user name or password',
  examples: ['https://hooks.example.com/ci-image-store']
})
const EventTypes = Type.Array(StringEnum([ALL_EVENT_TYPES, ...SUBSCRIBABLE_EVENT_TYPES]), {
  minItems: 1,
  maxItems: SUBSCRIBABLE_EVENT_TYPES.length,
  uniqueItems: true,
  description: 'The event types to deliver, or ["*"] for every type',
  examples: [['version.released', 'version.withdrawn']]
})
const ImageCodes = Type.Array(ImageCode, {
  minItems: 1,
  maxItems: 100,
  uniqueItems: true,
  description: "Only events of these images (of the subscription's project); omit or null for every image"
})
const Description = Text(500, { description: 'What the receiver is, for people', examples: ['Release notices to #payments-ci'] })
const GraceSeconds = Type.Integer({
  minimum: 0,
  maximum: 604_800,
  default: 86_400,
  description: 'How long the old secret keeps signing beside the new one (0 to 7 days; default one day)'
})
const Secret = Type.String({
  pattern: '^whsec_[A-Za-z0-9+/]+=*$',
  description: 'The signing secret (Standard Webhooks): shown only in this response, stored encrypted',
  examples: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']
})

const SUBSCRIPTION_EXAMPLE = {
  id: '3d6f0c1a-2b4e-4f7a-8c9d-0e1f2a3b4c5d',
  url: 'https://hooks.example.com/ci-image-store',
  events: ['version.released', 'version.withdrawn'],
  images: null,
  project: 'payments-ci',
  description: 'Release notices to #payments-ci',
  status: 'active',
  disabledReason: null,
  disabledAt: null,
  failingSince: null,
  previousSecretExpiresAt: null,
  createdBy: 'payments-publisher',
  createdAt: '2026-12-01T18:00:00.000Z',
  updatedAt: '2026-12-01T18:00:00.000Z'
}

const SubscriptionFields = {
  id: Uuid,
  url: ReceiverUrl,
  events: Type.Array(Type.String(), { description: 'The event types delivered; ["*"] = every type' }),
  images: Nullable(Type.Array(Type.String()), { description: 'The images it is limited to; null = every image of its scope' }),
  project: Nullable(ProjectId, { description: 'The project whose images it hears of; null = catalog-wide' }),
  description: Nullable(Type.String()),
  status: StringEnum(['active', 'disabled'], {
    description: 'active, or disabled (paused by a caller, or after the receiver kept failing or answered 410)'
  }),
  disabledReason: Nullable(Type.String(), { description: 'Why it is disabled' }),
  disabledAt: Nullable(Timestamp),
  failingSince: Nullable(Timestamp, { description: 'First failure of the current run of failed attempts; null while deliveries succeed' }),
  previousSecretExpiresAt: Nullable(Timestamp, { description: 'Until then the secret before the last rotation signs too' }),
  createdBy: Type.String({ description: 'The name of the token that created it' }),
  createdAt: Timestamp,
  updatedAt: Timestamp
}

export const WebhookSchema = Type.Object(SubscriptionFields, {
  $id: 'Webhook',
  title: 'Webhook',
  description: 'A webhook subscription (never its secret)',
  additionalProperties: false,
  examples: [SUBSCRIPTION_EXAMPLE]
})
export type Webhook = Static<typeof WebhookSchema>

export const CreatedWebhookSchema = Type.Object(
  { ...SubscriptionFields, secret: Secret },
  {
    $id: 'CreatedWebhook',
    title: 'CreatedWebhook',
    description: 'The new subscription and its signing secret, shown this once',
    additionalProperties: false,
    examples: [{ ...SUBSCRIPTION_EXAMPLE, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }]
  }
)

export const CreateWebhookBody = Type.Object(
  {
    url: ReceiverUrl,
    events: EventTypes,
    images: Type.Optional(Nullable(ImageCodes)),
    project: Type.Optional(
      Nullable(ProjectId, {
        description:
          "Whose images it hears of (images:write for it). Omitted: the token's project when it has exactly one, catalog-wide for admin. null: catalog-wide (admin)"
      })
    ),
    description: Type.Optional(Nullable(Description))
  },
  {
    $id: 'CreateWebhook',
    title: 'CreateWebhook',
    additionalProperties: false,
    examples: [{ url: 'https://hooks.example.com/ci-image-store', events: ['version.released'], project: 'payments-ci' }]
  }
)
export type CreateWebhookBody = Static<typeof CreateWebhookBody>

export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(ReceiverUrl),
    events: Type.Optional(EventTypes),
    images: Type.Optional(Nullable(ImageCodes)),
    description: Type.Optional(Nullable(Description)),
    status: Type.Optional(
      StringEnum(['active', 'disabled'], {
        description: 'disabled pauses deliveries; active resumes them (also after the service disabled it) and clears the failure record'
      })
    )
  },
  {
    $id: 'UpdateWebhook',
    title: 'UpdateWebhook',
    description: 'The fields to change; the project cannot change (create another subscription)',
    additionalProperties: false,
    examples: [{ status: 'active' }, { events: ['*'], images: null }]
  }
)
export type UpdateWebhookBody = Static<typeof UpdateWebhookBody>

export const RotateSecretBody = Type.Object(
  { graceSeconds: Type.Optional(GraceSeconds) },
  { $id: 'RotateWebhookSecret', title: 'RotateWebhookSecret', additionalProperties: false, examples: [{ graceSeconds: 3600 }] }
)
export type RotateSecretBody = Static<typeof RotateSecretBody>

export const RotatedSecretSchema = Type.Object(
  {
    secret: Secret,
    previousSecretExpiresAt: Nullable(Timestamp, { description: 'Until then deliveries carry a signature with the old secret too' })
  },
  {
    $id: 'RotatedWebhookSecret',
    title: 'RotatedWebhookSecret',
    description: 'The new signing secret, shown this once',
    additionalProperties: false,
    examples: [{ secret: 'whsec_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0', previousSecretExpiresAt: '2026-12-02T18:00:00.000Z' }]
  }
)

export const ListWebhooksQuery = Type.Object(
  {
    ...PageQuery,
    project: Type.Optional({ ...ProjectId, description: 'Only the subscriptions of this project' })
  },
  { additionalProperties: false }
)
export type ListWebhooksQuery = Static<typeof ListWebhooksQuery>

export const WebhookPageSchema = Page('WebhookPage', ref(WebhookSchema), 'A page of webhook subscriptions, oldest first', [
  { items: [SUBSCRIPTION_EXAMPLE], nextCursor: null }
])

export const WebhookIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const webhookSchemas = [
  WebhookSchema,
  CreatedWebhookSchema,
  CreateWebhookBody,
  UpdateWebhookBody,
  RotateSecretBody,
  RotatedSecretSchema,
  WebhookPageSchema
]
