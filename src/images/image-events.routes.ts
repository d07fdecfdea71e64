import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireScope } from '../auth/scopes.js'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { AUTH_PROBLEMS, PageQuery, problemResponses, ref } from '../http/schemas.js'
import { listEvents } from '../events/events.repository.js'
import { ImageEventPageSchema, toImageEvent } from '../events/events.schemas.js'
import { ImageCodeParams } from './images.schemas.js'
import { visibleImage } from './images.service.js'

const imageEventsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/images/:code/events',
    {
      schema: {
        operationId: 'listImageEvents',
        tags: ['images'],
        summary: "An image's audit trail, newest first: association, edits (from → to), version transitions (images:read)",
        params: ImageCodeParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: {
          200: ref(ImageEventPageSchema, 'A page of events, newest first'),
          ...problemResponses(...AUTH_PROBLEMS, 404)
        }
      }
    },
    async (request, reply) => {
      // The contract types `details` per action; rows written by earlier versions of the service may
      // hold other shapes, and a serializer choosing among the variants would answer 500 for them.
      // They are sent as stored.
      reply.serializer(JSON.stringify).type('application/json; charset=utf-8')
      requireScope(request.principal, 'images:read')
      const image = await visibleImage(app.db, request.principal, request.params.code)
      const { limit, cursor } = request.query
      const before = cursor ? decodeCursor(cursor, ['id'] as const)[0] : undefined
      const rows = await listEvents(app.db, image.id, limit + 1, before)
      return keysetPage(rows, limit, toImageEvent, (last) => [Number(last.id)])
    }
  )
}

export default imageEventsRoutes
