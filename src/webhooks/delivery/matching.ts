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

// A subscription disabled for failing must not hear of its own disabling, nor may any other
// subscription: one failing receiver would otherwise make another one's deliveries.
const NEVER_DELIVERED = new Set(['webhook.disabled'])

/** Whether a subscription is to receive an event. */
export function matches(subscription: MatchableSubscription, event: MatchableEvent): boolean {
  if (subscription.status !== 'active' || NEVER_DELIVERED.has(event.type)) return false
  // Subscriptions hear of what happens after they exist, also when dispatch runs late.
  if (event.time < subscription.createdAt) return false
  if (!subscription.eventTypes.includes('*') && !subscription.eventTypes.includes(event.type)) return false
  if (subscription.imageCodes !== null && (event.imageCode === null || !subscription.imageCodes.includes(event.imageCode))) return false
  return subscription.project === null || subscription.project === event.project
}
