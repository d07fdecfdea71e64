import fp from 'fastify-plugin'
import type { Feature } from '../http/feature.js'
import { resolutionLogFeature } from '../resolution-log/index.js'
import resolvePlugin from './resolve.plugin.js'
import { ResolutionSchema, ResolveBatchBody, ResolveBatchResultSchema } from './resolve.schemas.js'
import { ExplanationSchema } from './explain.schemas.js'

// The resolution log is its own feature, registered here because resolve is the only one that
// writes it and needs it first.
export const resolveFeature: Feature = {
  name: 'resolve',
  schemas: [ResolutionSchema, ResolveBatchResultSchema, ResolveBatchBody, ExplanationSchema, ...resolutionLogFeature.schemas],
  plugin: fp(async (app) => {
    await app.register(resolutionLogFeature.plugin)
    await app.register(resolvePlugin)
  })
}
