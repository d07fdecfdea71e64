import type { Feature } from '../http/feature.js'
import verificationPlugin from './verification.plugin.js'
import verificationRoutes from './verification.routes.js'

/** Re-verification of testing and released versions: the worker and POST .../verify. */
export const verificationFeature: Feature = {
  name: 'verification',
  schemas: [],
  plugin: async (app) => {
    await app.register(verificationPlugin)
    await app.register(verificationRoutes)
  }
}
