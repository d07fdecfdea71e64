import type { Feature } from '../http/feature.js'
import { VersionImpactSchema } from './impact.schemas.js'
import resolutionLogPlugin from './resolution-log.plugin.js'
import { resolutionSchemas } from './resolutions.schemas.js'

export const resolutionLogFeature: Feature = {
  name: 'resolution-log',
  schemas: [...resolutionSchemas, VersionImpactSchema],
  plugin: resolutionLogPlugin
}
