import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireScope } from '../auth/scopes.js'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { AUTH_PROBLEMS, PageQuery, problemResponses, ref } from '../http/schemas.js'
import type { CredentialCipher } from './credential-cipher.js'
import type { CredentialUsers } from './credential-users.js'
import {
  CreateCredentialBody,
  CredentialPageSchema,
  CredentialParams,
  CredentialSchema,
  ProjectParams,
  UpdateCredentialBody
} from './credentials.schemas.js'
import { listCredentials } from './credentials.repository.js'
import { changeCredential, createCredential, getCredential, removeCredential, toCredential } from './credentials.service.js'

export interface CredentialsRoutesOptions {
  cipher: CredentialCipher
  users: CredentialUsers
}

// Log lines name the credential by id and project only: the body holds the password.
const credentialsRoutes: FastifyPluginAsyncTypebox<CredentialsRoutesOptions> = async (app, { cipher, users }) => {
  app.post(
    '/v1/projects/:project/credentials',
    {
      schema: {
        operationId: 'createCredential',
        tags: ['credentials'],
        summary: 'Store a registry login for a project (credentials:write); the password is encrypted and never returned',
        params: ProjectParams,
        body: ref(CreateCredentialBody),
        response: { 201: { ...ref(CredentialSchema), description: 'Stored' }, ...problemResponses(...AUTH_PROBLEMS, 409) }
      }
    },
    async (request, reply) => {
      const { project } = request.params
      requireScope(request.principal, 'credentials:write', project)
      const created = await createCredential(app.db, cipher, project, request.body, request.principal.name)
      request.log.info({ credentialId: created.id, project }, 'credential created')
      return reply.code(201).header('location', `/v1/projects/${project}/credentials/${created.id}`).send(created)
    }
  )

  app.get(
    '/v1/projects/:project/credentials',
    {
      schema: {
        operationId: 'listCredentials',
        tags: ['credentials'],
        summary: "List a project's registry credentials by name (images:read); metadata only",
        params: ProjectParams,
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: {
          200: ref(CredentialPageSchema, 'A page of credentials, by name'),
          ...problemResponses(...AUTH_PROBLEMS)
        }
      }
    },
    async (request) => {
      const { project } = request.params
      requireScope(request.principal, 'images:read', project)
      const { limit, cursor } = request.query
      const after = cursor ? decodeCursor(cursor, ['string'] as const)[0] : undefined
      const rows = await listCredentials(app.db, project, limit + 1, after)
      return keysetPage(rows, limit, toCredential, (last) => [last.name])
    }
  )

  app.get(
    '/v1/projects/:project/credentials/:credentialId',
    {
      schema: {
        operationId: 'getCredential',
        tags: ['credentials'],
        summary: 'Get one registry credential (images:read); metadata only',
        params: CredentialParams,
        response: { 200: { ...ref(CredentialSchema), description: 'The credential' }, ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => {
      const { project, credentialId } = request.params
      requireScope(request.principal, 'images:read', project)
      return getCredential(app.db, project, credentialId)
    }
  )

  app.patch(
    '/v1/projects/:project/credentials/:credentialId',
    {
      schema: {
        operationId: 'updateCredential',
        tags: ['credentials'],
        summary: 'Rename, describe, rotate or re-bind a registry credential to its registry hosts (credentials:write)',
        params: CredentialParams,
        body: ref(UpdateCredentialBody),
        response: { 200: { ...ref(CredentialSchema), description: 'Updated' }, ...problemResponses(...AUTH_PROBLEMS, 404, 409) }
      }
    },
    async (request) => {
      const { project, credentialId } = request.params
      requireScope(request.principal, 'credentials:write', project)
      const updated = await changeCredential(
        app.db,
        { cipher, users, changes: app.changes },
        request.principal,
        project,
        credentialId,
        request.body
      )
      request.log.info({ credentialId, project, fields: Object.keys(request.body) }, 'credential updated')
      return updated
    }
  )

  app.delete(
    '/v1/projects/:project/credentials/:credentialId',
    {
      schema: {
        operationId: 'deleteCredential',
        tags: ['credentials'],
        summary: 'Delete a registry credential no image or version uses any more (credentials:write)',
        params: CredentialParams,
        response: { 204: Type.Null({ description: 'Deleted' }), ...problemResponses(...AUTH_PROBLEMS, 404, 409) }
      }
    },
    async (request, reply) => {
      const { project, credentialId } = request.params
      requireScope(request.principal, 'credentials:write', project)
      await removeCredential(app.db, users, project, credentialId)
      request.log.info({ credentialId, project }, 'credential deleted')
      return reply.code(204).send(null)
    }
  )
}

export default credentialsRoutes
