import type { Feature } from '../http/feature.js'
import tokensRoutes from './tokens.routes.js'
import { tokenSchemas } from './tokens.schemas.js'

export const tokensFeature: Feature = { name: 'tokens', schemas: tokenSchemas, plugin: tokensRoutes }
