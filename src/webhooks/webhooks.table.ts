import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

export type SubscriptionStatus = 'active' | 'disabled'

export interface WebhookSubscriptionsTable {
  id: Generated<string>
  url: string
  /** Dotted event types, or ['*'] for every type. */
  eventTypes: string[]
  /** Image codes it is limited to; null = every image of its scope. */
  imageCodes: string[] | null
  /** The project whose images it hears of; null = catalog-wide (admin only). */
  project: string | null
  description: string | null
  /** The signing secret (whsec_…), sealed with the credentials key; the subscription id is the AAD. */
  secretCiphertext: Buffer
  secretKeyId: string
  /** The secret before the last rotation: it still signs until previousSecretExpiresAt. */
  previousSecretCiphertext: Buffer | null
  previousSecretKeyId: string | null
  previousSecretExpiresAt: Date | null
  status: ColumnType<SubscriptionStatus, SubscriptionStatus | undefined, SubscriptionStatus>
  disabledReason: string | null
  disabledAt: Date | null
  /** First failure of the current run of failures; null while deliveries succeed. */
  failingSince: Date | null
  createdBy: string
  createdByTokenId: string | null
  createdAt: ColumnType<Date, never, never>
  updatedAt: ColumnType<Date, Date | undefined, Date>
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed'

export interface WebhookDeliveriesTable {
  /** The message id: webhook-id is msg_<id>, the same on every attempt. */
  id: Generated<number>
  subscriptionId: string
  eventId: number
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>
  attempts: Generated<number>
  nextAttemptAt: ColumnType<Date, Date | undefined, Date>
  lockedBy: string | null
  lockedUntil: Date | null
  lastStatusCode: number | null
  lastError: string | null
  lastDurationMs: number | null
  lastAttemptAt: Date | null
  createdAt: ColumnType<Date, never, never>
  completedAt: Date | null
}

export type AttemptOutcome = 'succeeded' | 'retry' | 'failed' | 'gone' | 'handed_back'

export interface WebhookDeliveryAttemptsTable {
  id: Generated<number>
  deliveryId: number
  attempt: number
  startedAt: Date
  durationMs: number
  statusCode: number | null
  error: string | null
  outcome: AttemptOutcome
}

export interface WebhookDispatchCursorTable {
  id: number
  lastEventId: number
}

export type WebhookSubscriptionRow = Selectable<WebhookSubscriptionsTable>
export type NewWebhookSubscription = Insertable<WebhookSubscriptionsTable>
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>
export type WebhookDeliveryAttemptRow = Selectable<WebhookDeliveryAttemptsTable>
