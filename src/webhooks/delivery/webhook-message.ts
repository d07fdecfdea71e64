import { CloudEvent, HTTP } from 'cloudevents'
import { Webhook } from 'standardwebhooks'
import { toCatalogEvent } from '../../events/catalog-event.js'
import type { ImageEventRow } from '../../events/events.table.js'

export interface WebhookMessage {
  body: string
  headers: Record<string, string>
}

/** The Standard Webhooks message id: the delivery's, so a receiver can drop a retry it already has. */
export const messageId = (deliveryId: number): string => `msg_${deliveryId}`

/** The CloudEvent source: the image's path in this service, or the service for events of no image. */
export function eventSource(imageCode: string | null): string {
  return imageCode === null ? '/ci-image-store' : `/v1/images/${encodeURIComponent(imageCode)}`
}

/**
 * One delivery attempt's request: the event as a structured-mode CloudEvent whose data is the
 * catalog event, signed with every secret given (several `v1,` signatures while a rotated secret
 * is still in its grace period). The body is the same on every attempt; the timestamp is not.
 */
export function buildWebhookMessage(event: ImageEventRow, deliveryId: number, secrets: readonly string[], now: Date): WebhookMessage {
  const cloudEvent = new CloudEvent({
    specversion: '1.0',
    id: String(event.id),
    source: eventSource(event.imageCode),
    type: event.action,
    time: event.createdAt.toISOString(),
    datacontenttype: 'application/json',
    ...(event.version !== null ? { subject: event.version } : {}),
    data: toCatalogEvent(event)
  })
  const structured = HTTP.structured(cloudEvent)
  const body = structured.body as string
  const id = messageId(deliveryId)
  const signature = secrets.map((secret) => new Webhook(secret).sign(id, now, body)).join(' ')
  return {
    body,
    headers: {
      'content-type': structured.headers['content-type'] ?? 'application/cloudevents+json; charset=utf-8',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': signature
    }
  }
}
