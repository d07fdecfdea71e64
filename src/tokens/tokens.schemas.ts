import { Type, type Static } from '@sinclair/typebox'
import { SCOPES } from '../auth/scopes.js'
import { Page, ProjectId, StringEnum, Timestamp, Uuid, ref } from '../http/schemas.js'

export const ScopeSchema = StringEnum(SCOPES, { description: 'admin implies every other scope and every project' })

const example = {
  id: '0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55',
  name: 'pipeline-engine',
  prefix: 'cis_Xk3v9Q',
  scopes: ['resolve'],
  projects: null,
  expiresAt: '2027-11-26T00:00:00.000Z',
  createdAt: '2026-11-26T18:00:00.000Z',
  createdBy: 'admin',
  lastUsedAt: null,
  revokedAt: null
}
export const TOKEN_EXAMPLE = example

const TokenFields = {
  id: Uuid,
  name: Type.String({ examples: ['pipeline-engine'] }),
  prefix: Type.String({ description: 'First characters of the token, to recognise it', examples: ['cis_Xk3v9Q'] }),
  scopes: Type.Array(ScopeSchema, { examples: [['resolve']] }),
  projects: Type.Union([Type.Array(ProjectId), Type.Null()], { description: 'Projects the token may act for; null = all' }),
  expiresAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  createdBy: Type.Union([Type.String(), Type.Null()]),
  lastUsedAt: Type.Union([Timestamp, Type.Null()], { description: 'Updated at most once a minute' }),
  revokedAt: Type.Union([Timestamp, Type.Null()])
}

export const TokenSchema = Type.Object(TokenFields, {
  $id: 'Token',
  title: 'Token',
  description: 'An API token (never its secret)',
  additionalProperties: false,
  examples: [example]
})
export type Token = Static<typeof TokenSchema>

export const CreatedTokenSchema = Type.Object(
  { ...TokenFields, token: Type.String({ description: 'The token itself: shown only in this response', examples: ['cis_Xk3v9QeR2…'] }) },
  {
    $id: 'CreatedToken',
    title: 'CreatedToken',
    additionalProperties: false,
    examples: [{ ...example, token: 'cis_Xk3v9QeR2mWb7TtY0nF4aLs8Hc1ZpKd6VjUq5Ge9Ri' }]
  }
)

export const CreateTokenBody = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      pattern: '^[A-Za-z0-9][A-Za-z0-9._@ -]*$',
      description: 'Who holds it; becomes the owner name of images it associates'
    }),
    scopes: Type.Array(ScopeSchema, { minItems: 1, uniqueItems: true }),
    projects: Type.Optional(
      Type.Union([Type.Array(ProjectId, { minItems: 1, maxItems: 500, uniqueItems: true }), Type.Null()], {
        description: 'Omit or null for every project'
      })
    ),
    expiresAt: Type.Optional(Type.Union([Timestamp, Type.Null()], { description: 'Must be in the future; omit for no expiry' }))
  },
  {
    $id: 'CreateToken',
    title: 'CreateToken',
    additionalProperties: false,
    examples: [{ name: 'pipeline-engine', scopes: ['resolve', 'pull-secrets'], expiresAt: '2027-11-26T00:00:00.000Z' }]
  }
)
export type CreateTokenBody = Static<typeof CreateTokenBody>

export const TokenIdParams = Type.Object({ id: Uuid }, { additionalProperties: false })

export const WhoAmISchema = Type.Object(
  {
    tokenId: Uuid,
    name: Type.String(),
    scopes: Type.Array(ScopeSchema),
    projects: Type.Union([Type.Array(ProjectId), Type.Null()]),
    expiresAt: Type.Union([Timestamp, Type.Null()])
  },
  {
    $id: 'WhoAmI',
    title: 'WhoAmI',
    additionalProperties: false,
    examples: [{ tokenId: example.id, name: 'admin', scopes: ['admin'], projects: null, expiresAt: null }]
  }
)
export const TokenPageSchema = Page('TokenPage', ref(TokenSchema), 'A page of tokens', [{ items: [TOKEN_EXAMPLE], nextCursor: null }])

export const tokenSchemas = [TokenSchema, CreatedTokenSchema, WhoAmISchema, CreateTokenBody, TokenPageSchema]
