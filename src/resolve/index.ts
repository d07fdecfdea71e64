import type { Feature } from '../http/feature.js'
import resolvePlugin from './resolve.plugin.js'
import { resolutionSchemas } from './resolutions.schemas.js'
import { ResolutionSchema, ResolveBatchResultSchema } from './resolve.schemas.js'

export const resolveFeature: Feature = { name: 'resolve', schemas: [ResolutionSchema, ResolveBatchResultSchema, ...resolutionSchemas], plugin: resolvePlugin }
