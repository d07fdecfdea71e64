import { randomUUID } from 'node:crypto'
import type { Transaction } from 'kysely'
import type { Database } from '../db/database.js'
import type { DB } from '../db/schema.js'
import { requireScope, type Principal } from '../auth/scopes.js'
import type { SecretSealer } from '../credentials/credentials.plugin.js'
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
  body: CreateWebhookBody
): Promise<{ row: WebhookSubscriptionRow; secret: string }> {
  const project = subscriptionProject(p, body.project)
  checkEvents(body.events)
  checkUrl(body.url, deps.allowedPrivateHosts)
  await checkImages(deps.db, p, body.images, project)
  // The id is chosen here because it is part of the sealing context of the secret.
  const id = randomUUID()
  const secret = generateSigningSecret()
  const sealed = sealSigningSecret(deps.sealer, id, secret)
  const row = await insertSubscription(deps.db, {
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

export async function updateWebhook(deps: WebhookDeps, p: Principal, id: string, body: UpdateWebhookBody): Promise<WebhookSubscriptionRow> {
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
    return Object.keys(set).length === 0 ? row : updateSubscription(trx, id, set)
  })
}

export async function deleteWebhook(deps: WebhookDeps, p: Principal, id: string): Promise<WebhookSubscriptionRow> {
  return deps.db.transaction().execute(async (trx) => {
    const row = await manageableWebhook(trx, p, id)
    await deleteSubscription(trx, id)
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
    return { row: updated, secret }
  })
}
