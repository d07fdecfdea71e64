import { Type, type Static } from '@sinclair/typebox'
import { CatalogEventSchema } from '../events/catalog-event.js'
import { ref, Timestamp } from '../http/schemas.js'
import { ImageCode } from '../images/images.schemas.js'

export const FeedQuery = Type.Object(
  {
    after: Type.Optional(
      Type.String({
        maxLength: 512,
        description: 'The `nextCursor` of the previous page: only events after it. Omit to read from the oldest event.'
      })
    ),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100, description: 'Events per page (1–500)' }),
    image: Type.Optional(
      Type.Array(ImageCode, {
        maxItems: 50,
        description: 'Only events of these image codes (repeat the parameter)'
      })
    ),
    type: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z_]+\\.[a-z_]+$', maxLength: 64 }), {
        maxItems: 50,
        description: 'Only events of these types, e.g. version.released (repeat the parameter)'
      })
    ),
    since: Type.Optional({ ...Timestamp, description: 'Only events at or after this time' }),
    until: Type.Optional({ ...Timestamp, description: 'Only events before this time' })
  },
  { additionalProperties: false }
)
export type FeedQuery = Static<typeof FeedQuery>

export const EventFeedPageSchema = Type.Object(
  {
    items: Type.Array(ref(CatalogEventSchema)),
    nextCursor: Type.String({
      description:
        'Where the next read starts: pass it as `after`. Always present, also on an empty page, so a consumer stores it and polls with it.'
    }),
    hasMore: Type.Boolean({ description: 'More events are there already: read again at once rather than after a pause' })
  },
  {
    $id: 'EventFeedPage',
    title: 'EventFeedPage',
    description: 'Events oldest first, after a cursor',
    additionalProperties: false,
    examples: [{ items: CatalogEventSchema.examples, nextCursor: 'WzEwNDJd', hasMore: false }]
  }
)

export const feedSchemas = [CatalogEventSchema, EventFeedPageSchema]
