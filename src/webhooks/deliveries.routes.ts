import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import {
  DeliveryParams,
  ListDeliveriesQuery,
  WebhookDeliveryDetailSchema,
  WebhookDeliveryPageSchema,
  WebhookDeliverySchema
} from './deliveries.schemas.js'
import { getDeliveryDetail, listDeliveriesPage, redeliver } from './deliveries.service.js'
import { WebhookIdParams } from './webhooks.schemas.js'

const deliveriesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags: ['webhooks'],
        summary: "A subscription's delivery log, newest first (images:read for its project)",
        params: WebhookIdParams,
        querystring: ListDeliveriesQuery,
        response: { 200: ref(WebhookDeliveryPageSchema, 'A page of deliveries'), ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => listDeliveriesPage(app.db, request.principal, request.params.id, request.query)
  )

  app.get(
    '/v1/webhooks/:id/deliveries/:deliveryId',
    {
      schema: {
        operationId: 'getWebhookDelivery',
        tags: ['webhooks'],
        summary: 'A delivery with every attempt made (images:read for its project)',
        params: DeliveryParams,
        response: { 200: ref(WebhookDeliveryDetailSchema, 'The delivery'), ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => getDeliveryDetail(app.db, request.principal, request.params.id, request.params.deliveryId)
  )

  app.post(
    '/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        operationId: 'redeliverWebhook',
        tags: ['webhooks'],
        summary:
          'Send a delivery again from its first attempt, whatever became of it (images:write for its project); the same webhook-id, so receivers can tell',
        params: DeliveryParams,
        response: {
          202: { ...ref(WebhookDeliverySchema), description: 'Due now: a worker sends it within moments' },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409)
        }
      }
    },
    async (request, reply) => {
      const delivery = await redeliver(app.db, request.principal, request.params.id, request.params.deliveryId)
      request.log.info({ webhookId: request.params.id, deliveryId: delivery.id }, 'webhook delivery redelivered')
      return reply.code(202).send(delivery)
    }
  )
}

export default deliveriesRoutes
