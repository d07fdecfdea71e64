import type { FastifyInstance } from 'fastify'
import type { Feature } from '../http/feature.js'
import { eventSchemas } from '../events/events.schemas.js'
import imageEventsRoutes from './image-events.routes.js'
import imagesRoutes from './images.routes.js'
import { imageSchemas } from './images.schemas.js'

async function imagesPlugin(app: FastifyInstance): Promise<void> {
  await app.register(imagesRoutes)
  await app.register(imageEventsRoutes)
}

export const imagesFeature: Feature = { name: 'images', schemas: [...imageSchemas, ...eventSchemas], plugin: imagesPlugin }
