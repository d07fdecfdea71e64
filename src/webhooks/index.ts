import type { Feature } from '../http/feature.js'
import { deliverySchemas } from './deliveries.schemas.js'
import webhooksPlugin from './webhooks.plugin.js'
import { webhookSchemas } from './webhooks.schemas.js'

export const webhooksFeature: Feature = { name: 'webhooks', schemas: [...webhookSchemas, ...deliverySchemas], plugin: webhooksPlugin }
