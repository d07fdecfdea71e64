import type { Feature } from '../http/feature.js'
import { eventSchemas } from '../events/events.schemas.js'
import imageEventsRoutes from './image-events.routes.js'
import imagesRoutes from './images.routes.js'
import { imageSchemas } from './images.schemas.js'
import type { ImageVersions } from './image-versions.js'

export type { ImageVersions } from './image-versions.js'

/** `versions`: what images need to know of their versions (versions/ implements it). */
export const imagesFeature = (versions: ImageVersions): Feature => ({
  name: 'images',
  schemas: [...imageSchemas, ...eventSchemas],
  plugin: async (app) => {
    await app.register(imagesRoutes, { versions })
    await app.register(imageEventsRoutes)
  }
})
