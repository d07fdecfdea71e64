import fp from 'fastify-plugin'
import type { Feature } from '../http/feature.js'
import type { CredentialUsers } from './credential-users.js'
import credentialsPlugin from './credentials.plugin.js'
import { credentialSchemas } from './credentials.schemas.js'

export type { CredentialSecrets } from './credentials.service.js'
export type { CredentialUsers, CredentialUsage } from './credential-users.js'
/** `users`: who pulls with a credential (versions/ implements it). */
export const credentialsFeature = (users: CredentialUsers): Feature => ({
  name: 'credentials',
  schemas: credentialSchemas,
  // Not encapsulated: the credential secrets it decorates are for every feature.
  plugin: fp(async (app) => {
    await app.register(credentialsPlugin, { users })
  })
})
