import type { Feature } from '../http/feature.js'
import credentialsPlugin from './credentials.plugin.js'
import { credentialSchemas } from './credentials.schemas.js'

export type { CredentialSecrets } from './credentials.service.js'
export const credentialsFeature: Feature = { name: 'credentials', schemas: credentialSchemas, plugin: credentialsPlugin }
