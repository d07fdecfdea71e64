import type { TSchema } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'

/**
 * One resource folder, as the app sees it: its named schemas (added at the root so the contract
 * has them as components) and its plugin (routes, and decorators other features use).
 */
export interface Feature {
  name: string
  schemas: TSchema[]
  plugin: FastifyPluginAsync
}
