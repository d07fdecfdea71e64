import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { requireScope } from '../auth/scopes.js'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { notFound } from '../http/problem.js'
import { AUTH_PROBLEMS, PageQuery, problemResponses, ref } from '../http/schemas.js'
import { CreateTokenBody, CreatedTokenSchema, TokenIdParams, TokenPageSchema, TokenSchema, WhoAmISchema } from './tokens.schemas.js'
import { createToken, revokeTokenEverywhere, toToken } from './tokens.service.js'
import { findTokenById, listTokens } from './tokens.repository.js'

const tokensRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/v1/tokens',
    {
      schema: {
        operationId: 'createToken',
        tags: ['tokens'],
        summary: 'Create an API token (admin); the token is shown only in this response',
        body: ref(CreateTokenBody),
        response: { 201: ref(CreatedTokenSchema, 'The token, with its secret shown this once'), ...problemResponses(...AUTH_PROBLEMS, 422) }
      }
    },
    async (request, reply) => {
      requireScope(request.principal, 'admin')
      const created = await createToken(app.db, request.body, request.principal.name)
      request.log.info({ tokenId: created.id, scopes: created.scopes }, 'token created')
      return reply.code(201).header('location', `/v1/tokens/${created.id}`).send(created)
    }
  )

  app.get(
    '/v1/tokens',
    {
      schema: {
        operationId: 'listTokens',
        tags: ['tokens'],
        summary: 'List API tokens, newest first (admin)',
        querystring: Type.Object(PageQuery, { additionalProperties: false }),
        response: {
          200: ref(TokenPageSchema, 'A page of tokens'),
          ...problemResponses(...AUTH_PROBLEMS)
        }
      }
    },
    async (request) => {
      requireScope(request.principal, 'admin')
      const { limit, cursor } = request.query
      const after = cursor ? decodeCursor(cursor, ['timestamp', 'uuid'] as const) : undefined
      const rows = await listTokens(app.db, limit + 1, after && { createdKey: after[0], id: after[1] })
      return keysetPage(rows, limit, toToken, (last) => [last.createdKey, last.id])
    }
  )

  app.get(
    '/v1/tokens/:id',
    {
      schema: {
        operationId: 'getToken',
        tags: ['tokens'],
        summary: 'Get one API token (admin)',
        params: TokenIdParams,
        response: { 200: ref(TokenSchema, 'The token (never its secret)'), ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request) => {
      requireScope(request.principal, 'admin')
      const row = await findTokenById(app.db, request.params.id)
      if (!row) throw notFound('TOKEN_NOT_FOUND', `No token with id ${request.params.id}.`)
      return toToken(row)
    }
  )

  app.delete(
    '/v1/tokens/:id',
    {
      schema: {
        operationId: 'revokeToken',
        tags: ['tokens'],
        summary: 'Revoke an API token (admin); revoking twice is harmless',
        params: TokenIdParams,
        response: { 204: Type.Null({ description: 'Revoked' }), ...problemResponses(...AUTH_PROBLEMS, 404) }
      }
    },
    async (request, reply) => {
      requireScope(request.principal, 'admin')
      const row = await revokeTokenEverywhere(app.db, request.params.id)
      if (!row) throw notFound('TOKEN_NOT_FOUND', `No token with id ${request.params.id}.`)
      // At once here, whether or not this replica's listener is up to hear its own notification.
      app.tokens.revoked(row.id)
      request.log.info({ tokenId: row.id }, 'token revoked')
      return reply.code(204).send(null)
    }
  )

  app.get(
    '/v1/whoami',
    {
      schema: {
        operationId: 'whoAmI',
        tags: ['tokens'],
        summary: 'The calling token: name, scopes, projects, expiry',
        response: { 200: ref(WhoAmISchema, 'The calling token'), ...problemResponses(401, 503) }
      }
    },
    async (request) => {
      const p = request.principal
      return { tokenId: p.tokenId, name: p.name, scopes: p.scopes, projects: p.projects, expiresAt: p.expiresAt?.toISOString() ?? null }
    }
  )
}

export default tokensRoutes
