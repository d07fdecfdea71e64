import type { Feature } from '../http/feature.js'

// Scaffolding while the feature is being built: replaced by the feature's own schemas and plugin.
export const resolveFeature: Feature = { name: 'resolve', schemas: [], plugin: async () => {} }
