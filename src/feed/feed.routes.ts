import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { isAdmin, requireScope } from '../auth/scopes.js'
import { toCatalogEvent } from '../events/catalog-event.js'
import { decodeCursor, encodeCursor } from '../http/cursor.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { readFeed } from './feed.repository.js'
import { EventFeedPageSchema, FeedQuery } from './feed.schemas.js'

const feedRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/v1/events',
    {
      schema: {
        operationId: 'listEvents',
        tags: ['events'],
        summary: 'The catalog-wide event feed, oldest first after a cursor (images:read)',
        description:
          'Every event this token may see, by the same project rules as images: admin and tokens for every project see all; a token of some projects sees the events of images those projects may see, and of images they owned that are gone. Events are numbered in the order their changes committed, so a consumer that stores `nextCursor` and reads again from it never misses or repeats an event. Filter by image code, type and time.',
        querystring: FeedQuery,
        response: {
          200: ref(EventFeedPageSchema, 'Events oldest first'),
          ...problemResponses(...AUTH_PROBLEMS)
        }
      }
    },
    async (request) => {
      const { principal } = request
      requireScope(principal, 'images:read')
      const { after, limit, image, type, since, until } = request.query
      const afterId = after ? decodeCursor(after, ['id'] as const)[0] : 0
      const rows = await readFeed(
        app.db,
        {
          afterId,
          projects: isAdmin(principal) ? null : principal.projects,
          imageCodes: image ?? [],
          types: type ?? [],
          since: since ? new Date(since) : undefined,
          until: until ? new Date(until) : undefined
        },
        limit + 1
      )
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map(toCatalogEvent),
        nextCursor: encodeCursor([last ? Number(last.id) : afterId]),
        hasMore: rows.length > limit
      }
    }
  )
}

export default feedRoutes
