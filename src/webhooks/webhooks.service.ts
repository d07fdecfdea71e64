import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Database } from '../db/database.js'
import type { DB } from '../db/schema.js'
import { requireScope, type Principal } from '../auth/scopes.js'
import type { SecretSealer } from '../credentials/credentials.plugin.js'
import { insertProjectEvent } from '../events/events.repository.js'
import { badRequest, unprocessable } from '../http/problem.js'
import { visibleImage } from '../images/images.service.js'
import { ALL_EVENT_TYPES } from './event-types.js'
import { checkReceiverUrl } from './receiver-url.js'
import { currentSecretContext, generateSigningSecret, sealPreviousSigningSecret, sealSigningSecret } from './signing-secret.js'
import { canSeeSubscription, subscriptionProject, webhookNotFound } from './webhook-access.js'
import {
  deleteSubscription,
  findSubscription,
  insertSubscription,
  lockSubscription,
  updateSubscription,
  type SubscriptionUpdate
} from './webhooks.repository.js'
import type { CreateWebhookBody, RotateSecretBody, UpdateWebhookBody, Webhook } from './webhooks.schemas.js'
import type { WebhookSubscriptionRow } from './webhooks.table.js'

export interface WebhookDeps {
  db: Database
  sealer: SecretSealer
  allowedPrivateHosts: readonly string[]
}

const DEFAULT_GRACE_SECONDS = 86_400

/** The subscription as its audit events tell it: what it hears of and where it sends it, never its secret. */
function described(row: WebhookSubscriptionRow) {
  return {
    subscriptionId: row.id,
    url: row.url,
    events: row.eventTypes,
    images: row.imageCodes,
    project: row.project,
    description: row.description
  }
}

// Column → the field name the API uses, for webhook.updated's changes.
const AUDITED_FIELDS = {
  url: 'url',
  eventTypes: 'events',
  imageCodes: 'images',
  description: 'description',
  status: 'status'
} as const satisfies Partial<Record<keyof WebhookSubscriptionRow, string>>

/** Each field the API shows that differs, as {from, to}; empty when an edit changed nothing. */
function subscriptionChanges(
  before: WebhookSubscriptionRow,
  after: WebhookSubscriptionRow
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {}
  for (const [column, field] of Object.entries(AUDITED_FIELDS) as [keyof typeof AUDITED_FIELDS, string][]) {
    if (JSON.stringify(before[column]) !== JSON.stringify(after[column])) changes[field] = { from: before[column], to: after[column] }
  }
  return changes
}

/**
 * Records who pointed the catalog's events where, in the transaction of the change. The subscription's
 * project owns the event, so the feed shows it to who may see the subscription (admins alone for a
 * catalog-wide one), as it shows webhook.disabled; it is never delivered.
 */
async function recordSubscriptionEvent(
  trx: Transaction<DB>,
  p: Principal,
  project: string | null,
  action: 'webhook.created' | 'webhook.updated' | 'webhook.deleted' | 'webhook.secret_rotated',
  details: Record<string, unknown>,
  requestId: string | undefined
): Promise<void> {
  await insertProjectEvent(trx, { ownerProject: project, action, actor: p, details, requestId })
}

export function toWebhook(row: WebhookSubscriptionRow, now = new Date()): Webhook {
  const graceEnds = row.previousSecretExpiresAt
  return {
    id: row.id,
    url: row.url,
    events: row.eventTypes,
    images: row.imageCodes,
    project: row.project,
    description: row.description,
    status: row.status,
    disabledReason: row.disabledReason,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    failingSince: row.failingSince?.toISOString() ?? null,
    previousSecretExpiresAt: graceEnds !== null && graceEnds > now ? graceEnds.toISOString() : null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString()
  }
}

function checkUrl(url: string, allowedPrivateHosts: readonly string[]): void {
  const reason = checkReceiverUrl(url, allowedPrivateHosts)
  if (reason !== undefined) throw badRequest('WEBHOOK_URL_REFUSED', `The receiver URL is refused: ${reason}.`, { reason })
}

function checkEvents(events: readonly string[]): void {
  if (events.includes(ALL_EVENT_TYPES) && events.length > 1) {
    throw badRequest('WEBHOOK_EVENTS_MIXED', 'events is either ["*"] (every type) or a list of types, not both.')
  }
}

/** Every image must be visible to the token (404 otherwise) and, for a project's subscription, owned by that project. */
async function checkImages(
  db: Database | Transaction<DB>,
  p: Principal,
  codes: readonly string[] | null | undefined,
  project: string | null
) {
  for (const code of codes ?? []) {
    const image = await visibleImage(db, p, code)
    if (project !== null && image.ownerProject !== project) {
      throw unprocessable(
        'IMAGE_NOT_IN_WEBHOOK_PROJECT',
        `Image "${code}" belongs to project "${image.ownerProject}"; a subscription of project "${project}" hears only of its own images.`,
        { image: code, ownerProject: image.ownerProject, project }
      )
    }
  }
}

export async function createWebhook(
  deps: WebhookDeps,
  p: Principal,
  body: CreateWebhookBody,
  requestId?: string
): Promise<{ row: WebhookSubscriptionRow; secret: string }> {
  const project = subscriptionProject(p, body.project)
  checkEvents(body.events)
  checkUrl(body.url, deps.allowedPrivateHosts)
  await checkImages(deps.db, p, body.images, project)
  // The id is chosen here because it is part of the sealing context of the secret.
  const id = randomUUID()
  const secret = generateSigningSecret()
  const sealed = sealSigningSecret(deps.sealer, id, secret)
  const row = await deps.db.transaction().execute(async (trx) => {
    const inserted = await insertSubscription(trx, {
      id,
      url: body.url,
      eventTypes: body.events,
      imageCodes: body.images ?? null,
      project,
      description: body.description ?? null,
      secretCiphertext: sealed.ciphertext,
      secretKeyId: sealed.keyId,
      createdBy: p.name,
      createdByTokenId: p.tokenId
    })
    await recordSubscriptionEvent(trx, p, project, 'webhook.created', described(inserted), requestId)
    return inserted
  })
  return { row, secret }
}

export async function getWebhook(db: Database, p: Principal, id: string): Promise<WebhookSubscriptionRow> {
  requireScope(p, 'images:read')
  const row = await findSubscription(db, id)
  if (!row || !canSeeSubscription(p, row)) throw webhookNotFound(id)
  return row
}

/** Locks a subscription the token may manage, in the caller's transaction. */
export async function manageableWebhook(trx: Transaction<DB>, p: Principal, id: string): Promise<WebhookSubscriptionRow> {
  requireScope(p, 'images:write')
  const row = await lockSubscription(trx, id)
  if (!row || !canSeeSubscription(p, row)) throw webhookNotFound(id)
  return row
}

function statusChange(row: WebhookSubscriptionRow, status: UpdateWebhookBody['status'], p: Principal): SubscriptionUpdate {
  if (status === undefined || status === row.status) return {}
  if (status === 'active') return { status, disabledReason: null, disabledAt: null, failingSince: null }
  return { status, disabledReason: `paused by ${p.name}`, disabledAt: new Date() }
}

export async function updateWebhook(
  deps: WebhookDeps,
  p: Principal,
  id: string,
  body: UpdateWebhookBody,
  requestId?: string
): Promise<WebhookSubscriptionRow> {
  if (body.events !== undefined) checkEvents(body.events)
  if (body.url !== undefined) checkUrl(body.url, deps.allowedPrivateHosts)
  return deps.db.transaction().execute(async (trx) => {
    const row = await manageableWebhook(trx, p, id)
    if (body.images !== undefined) await checkImages(trx, p, body.images, row.project)
    const set: SubscriptionUpdate = {
      ...(body.url !== undefined ? { url: body.url } : {}),
      ...(body.events !== undefined ? { eventTypes: body.events } : {}),
      ...(body.images !== undefined ? { imageCodes: body.images } : {}),
      ...(body.description !== undefined ? { description: body.description } : {}),
      ...statusChange(row, body.status, p)
    }
    if (Object.keys(set).length === 0) return row
    const updated = await updateSubscription(trx, id, set)
    const changes = subscriptionChanges(row, updated)
    // An edit that sets what was already there changed nothing worth an audit line.
    if (Object.keys(changes).length > 0) {
      await recordSubscriptionEvent(trx, p, row.project, 'webhook.updated', { subscriptionId: id, url: updated.url, changes }, requestId)
    }
    return updated
  })
}

export async function deleteWebhook(deps: WebhookDeps, p: Principal, id: string, requestId?: string): Promise<WebhookSubscriptionRow> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await manageableWebhook(trx, p, id)
    await deleteSubscription(trx, id)
    await recordSubscriptionEvent(trx, p, row.project, 'webhook.deleted', described(row), requestId)
    return row
  })
}

/**
 * A new current secret; the old one moves to the previous slot and keeps signing for the grace
 * period, so receivers can switch without missing a message. A secret still in its grace from an
 * earlier rotation stops signing now.
 */
export async function rotateWebhookSecret(
  deps: WebhookDeps,
  p: Principal,
  id: string,
  body: RotateSecretBody,
  requestId?: string,
  now = new Date()
): Promise<{ row: WebhookSubscriptionRow; secret: string }> {
  const graceSeconds = body.graceSeconds ?? DEFAULT_GRACE_SECONDS
  return deps.db.transaction().execute(async (trx) => {
    const row = await manageableWebhook(trx, p, id)
    const secret = generateSigningSecret()
    const sealed = sealSigningSecret(deps.sealer, id, secret)
    let previous: SubscriptionUpdate = { previousSecretCiphertext: null, previousSecretKeyId: null, previousSecretExpiresAt: null }
    if (graceSeconds > 0) {
      const old = deps.sealer.open(currentSecretContext(id), { ciphertext: row.secretCiphertext, keyId: row.secretKeyId })
      const resealed = sealPreviousSigningSecret(deps.sealer, id, old)
      previous = {
        previousSecretCiphertext: resealed.ciphertext,
        previousSecretKeyId: resealed.keyId,
        previousSecretExpiresAt: new Date(now.getTime() + graceSeconds * 1000)
      }
    }
    const updated = await updateSubscription(trx, id, { secretCiphertext: sealed.ciphertext, secretKeyId: sealed.keyId, ...previous })
    const details = {
      subscriptionId: id,
      url: row.url,
      graceSeconds,
      previousSecretExpiresAt: updated.previousSecretExpiresAt?.toISOString() ?? null,
      // A secret still in its grace from the rotation before stops signing now: receivers relying on it would fail.
      earlierGraceEnded: row.previousSecretExpiresAt !== null && row.previousSecretExpiresAt > now
    }
    await recordSubscriptionEvent(trx, p, row.project, 'webhook.secret_rotated', details, requestId)
    return { row: updated, secret }
  })
}
