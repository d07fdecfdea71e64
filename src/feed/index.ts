import type { Feature } from '../http/feature.js'
import feedRoutes from './feed.routes.js'
import { feedSchemas } from './feed.schemas.js'

/** GET /v1/events: the outbox (image_events) read catalog-wide, as consumers see it. */
export const feedFeature: Feature = {
  name: 'feed',
  schemas: feedSchemas,
  plugin: async (app) => {
    await app.register(feedRoutes)
  }
}
