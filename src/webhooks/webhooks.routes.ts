import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireScope } from '../auth/scopes.js'
import { splitList } from '../config.js'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { visibleSubscriptions } from './webhook-access.js'
import { listSubscriptions } from './webhooks.repository.js'
import {
  CreatedWebhookSchema,
  CreateWebhookBody,
  ListWebhooksQuery,
  RotatedSecretSchema,
  RotateSecretBody,
  UpdateWebhookBody,
  WebhookIdParams,
  WebhookPageSchema,
  WebhookSchema
} from './webhooks.schemas.js'
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  rotateWebhookSecret,
  toWebhook,
  updateWebhook,
  type WebhookDeps
} from './webhooks.service.js'

const webhooksRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const deps: WebhookDeps = {
    db: app.db,
    sealer: app.secretSealer,
    allowedPrivateHosts: splitList(app.config.WEBHOOK_ALLOWED_PRIVATE_HOSTS)
  }

  app.post(
    '/v1/webhooks',
    {
      schema: {
        operationId: 'createWebhook',
        tags: ['webhooks'],
        summary:
          'Subscribe a receiver to events (images:write for the project; catalog-wide: admin); the answer holds the signing secret, shown this once',
        body: ref(CreateWebhookBody),
        response: {
          201: { ...ref(CreatedWebhookSchema), description: 'Subscribed; Location names the subscription' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 422)
        }
      }
    },
    async (request, reply) => {
      const { row, secret } = await createWebhook(deps, request.principal, request.body, request.id)
      request.log.info({ webhookId: row.id, project: row.project, events: row.eventTypes }, 'webhook subscribed')
      return reply
        .code(201)
        .header('location', `/v1/webhooks/${row.id}`)
        .send({ ...toWebhook(row), secret })
    }
  )

  app.get(
    '/v1/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        tags: ['webhooks'],
        summary: "List the webhook subscriptions of the token's projects, oldest first (images:read; admin sees every one)",
        querystring: ListWebhooksQuery,
        response: { 200: ref(WebhookPageSchema, 'A page of subscriptions'), ...problemResponses(...AUTH_PROBLEMS) }
      }
    },
    async (request) => {
      requireScope(request.principal, 'images:read')
      const { limit, cursor, project } = request.query
      const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid'] as const) : undefined
      const filter = { ...visibleSubscriptions(request.principal), project }
      const rows = await listSubscriptions(app.db, filter, limit + 1, after && { createdKey: after[0], id: after[1] })
      const now = new Date()
      return keysetPage(
        rows,
        limit,
        (row) => toWebhook(row, now),
        (last) => [last.createdKey, last.id]
      )
    }
  )

  app.get(
    '/v1/webhooks/:id',
    {
      schema: {
        operationId: 'getWebhook',
        tags: ['webhooks'],
        summary: 'Get a webhook subscription (images:read for its project; never its secret)',
        params: WebhookIdParams,
        response: { 200: ref(WebhookSchema, 'The subscription'), ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => toWebhook(await getWebhook(app.db, request.principal, request.params.id))
  )

  app.patch(
    '/v1/webhooks/:id',
    {
      schema: {
        operationId: 'updateWebhook',
        tags: ['webhooks'],
        summary: 'Change a subscription, pause it (status disabled) or re-enable it (status active) (images:write for its project)',
        params: WebhookIdParams,
        body: ref(UpdateWebhookBody),
        response: { 200: ref(WebhookSchema, 'The subscription as it is now'), ...problemResponses(...AUTH_PROBLEMS, 404, 422) }
      }
    },
    async (request) => {
      const row = await updateWebhook(deps, request.principal, request.params.id, request.body, request.id)
      request.log.info({ webhookId: row.id, fields: Object.keys(request.body), status: row.status }, 'webhook updated')
      return toWebhook(row)
    }
  )

  app.delete(
    '/v1/webhooks/:id',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags: ['webhooks'],
        summary: 'Unsubscribe: nothing more is delivered and the delivery log goes with it (images:write for its project)',
        params: WebhookIdParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request, reply) => {
      const row = await deleteWebhook(deps, request.principal, request.params.id, request.id)
      request.log.info({ webhookId: row.id }, 'webhook deleted')
      return reply.code(204).send(null)
    }
  )

  app.post(
    '/v1/webhooks/:id/rotate-secret',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        tags: ['webhooks'],
        summary:
          'Replace the signing secret; the old one keeps signing beside it for graceSeconds (images:write for its project). The new secret is shown this once',
        params: WebhookIdParams,
        body: ref(RotateSecretBody),
        response: { 200: ref(RotatedSecretSchema, 'The new secret'), ...problemResponses(...AUTH_PROBLEMS, 404) }
      },
      config: { optionalBody: true },
      // Every field has a default, so an empty POST rotates with a day's grace.
      preValidation: async (request) => {
        request.body ??= {}
      }
    },
    async (request) => {
      const { row, secret } = await rotateWebhookSecret(deps, request.principal, request.params.id, request.body, request.id)
      request.log.info({ webhookId: row.id, previousSecretExpiresAt: row.previousSecretExpiresAt }, 'webhook secret rotated')
      return { secret, previousSecretExpiresAt: row.previousSecretExpiresAt?.toISOString() ?? null }
    }
  )
}

export default webhooksRoutes
