import type { Feature } from '../http/feature.js'
import resolutionLogPlugin from './resolution-log.plugin.js'
import { resolutionSchemas } from './resolutions.schemas.js'

export const resolutionLogFeature: Feature = { name: 'resolution-log', schemas: resolutionSchemas, plugin: resolutionLogPlugin }
