import type { SubscriptionStatus } from '../webhooks.table.js'

/** What matching needs of a subscription. */
export interface MatchableSubscription {
  status: SubscriptionStatus
  eventTypes: readonly string[]
  imageCodes: readonly string[] | null
  /** Null: catalog-wide. */
  project: string | null
  createdAt: Date
}

/** What matching needs of an outbox event. */
export interface MatchableEvent {
  type: string
  imageCode: string | null
  /** The image's owner project when the event happened. */
  project: string | null
  time: Date
}

// Events about subscriptions themselves (created, updated, deleted, secret rotated, disabled) belong
// to the audit trail and are never delivered: a subscription to "*" would otherwise hear of its own
// creation, and one failing receiver's disabling would make deliveries to every other.
const neverDelivered = (type: string): boolean => type.startsWith('webhook.')

/** Whether a subscription is to receive an event. */
export function matches(subscription: MatchableSubscription, event: MatchableEvent): boolean {
  if (subscription.status !== 'active' || neverDelivered(event.type)) return false
  // Subscriptions hear of what happens after they exist, also when dispatch runs late.
  if (event.time < subscription.createdAt) return false
  if (!subscription.eventTypes.includes('*') && !subscription.eventTypes.includes(event.type)) return false
  if (subscription.imageCodes !== null && (event.imageCode === null || !subscription.imageCodes.includes(event.imageCode))) return false
  return subscription.project === null || subscription.project === event.project
}
