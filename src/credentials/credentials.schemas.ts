import { Type, type Static } from '@sinclair/typebox'
import { Page, ProjectId, Text, Timestamp, Uuid, ref } from '../http/schemas.js'

// Registry logins come in many shapes: ECR's "AWS", GCR's "_json_key", Harbor's
// "robot$project+name". Only what Basic auth cannot carry is refused: ':' and control characters.
const Username = Type.String({
  minLength: 1,
  maxLength: 256,
  pattern: '^[^:\\u0000-\\u0020\\u007f]+$',
  description: 'Registry login name (e.g. AWS, _json_key, robot$project+name); no spaces, colons or control characters',
  examples: ['robot$payments+ci']
})
// Large enough for a GCR service-account JSON key; write-only.
const Password = Type.String({
  minLength: 1,
  maxLength: 16384,
  writeOnly: true,
  description: 'Password or access token; stored encrypted, never returned'
})
const CredentialName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
  description: 'Unique within the project: letters, digits, ".", "_", "-"',
  examples: ['harbor-robot']
})
export const MAX_REGISTRIES = 20
const RegistryHost = Type.String({
  maxLength: 262,
  description:
    "host[:port] of a registry (IPv6 in brackets); docker.io (or '') for Docker Hub. Not a single name without dot or port (localhost excepted).",
  examples: ['harbor.example.com', 'registry.example.com:5000', 'docker.io']
})
const REGISTRIES_TEXT =
  "The registry hosts this credential is for, normalised (lower case; '', index.docker.io and registry-1.docker.io become docker.io). " +
  'It is sent to these hosts only (for docker.io also to its API and token hosts registry-1.docker.io and auth.docker.io): ' +
  'a check or a pull secret for a version on any other host never uses it. A registry whose token service is on another host needs that host listed too.'
const Registries = (extra = '') =>
  Type.Array(RegistryHost, {
    minItems: 1,
    maxItems: MAX_REGISTRIES,
    description: REGISTRIES_TEXT + extra,
    examples: [['harbor.example.com']]
  })
const Description = Text(1000, { examples: ['Pull-only robot account on harbor.example.com'] })

export const CREDENTIAL_EXAMPLE = {
  id: '5d0f3a52-8c1e-4b7a-9f2e-6a4b1c9d7e30',
  project: 'payments-ci',
  name: 'harbor-robot',
  description: 'Pull-only robot account on harbor.example.com',
  username: 'robot$payments+ci',
  registries: ['harbor.example.com'],
  createdAt: '2026-11-26T18:00:00.000Z',
  createdBy: 'payments-publisher',
  updatedAt: '2026-11-26T18:00:00.000Z',
  secretRotatedAt: null
}

export const CredentialSchema = Type.Object(
  {
    id: Uuid,
    project: ProjectId,
    name: CredentialName,
    description: Type.Union([Description, Type.Null()]),
    username: Username,
    registries: Type.Array(Type.String(), {
      description:
        'The registry hosts this credential is sent to, and to no other. Empty = unbound (a credential stored before hosts were recorded and never ' +
        'proven on a registry): it is never sent; set registries with PATCH before use.',
      examples: [['harbor.example.com']]
    }),
    createdAt: Timestamp,
    createdBy: Type.String(),
    updatedAt: Timestamp,
    secretRotatedAt: Type.Union([Timestamp, Type.Null()], { description: 'When the password was last replaced; null if never' })
  },
  {
    $id: 'Credential',
    title: 'Credential',
    description: 'A registry login of a project. The password is stored encrypted and never returned.',
    additionalProperties: false,
    examples: [CREDENTIAL_EXAMPLE]
  }
)
export type Credential = Static<typeof CredentialSchema>

export const CreateCredentialBody = Type.Object(
  { name: CredentialName, username: Username, password: Password, registries: Registries(), description: Type.Optional(Description) },
  {
    $id: 'CreateCredential',
    title: 'CreateCredential',
    additionalProperties: false,
    examples: [
      {
        name: 'harbor-robot',
        username: 'robot$payments+ci',
        password: 'eyJhbGciOi…',
        registries: ['harbor.example.com'],
        description: 'Pull-only robot account on harbor.example.com'
      }
    ]
  }
)
export type CreateCredentialBody = Static<typeof CreateCredentialBody>

export const UpdateCredentialBody = Type.Object(
  {
    name: Type.Optional(CredentialName),
    // null first: with type coercion on, a string branch tried first would turn null into "".
    description: Type.Optional(Type.Union([Type.Null(), Description], { description: 'null clears it' })),
    username: Type.Optional(Username),
    password: Type.Optional(Password),
    registries: Type.Optional(
      Registries(
        ' Replaces the list. Refused (409 CREDENTIAL_REGISTRIES_IN_USE) if a version that is not cancelled pulls with this credential from a host the new list leaves out.'
      )
    )
  },
  {
    $id: 'UpdateCredential',
    title: 'UpdateCredential',
    additionalProperties: false,
    minProperties: 1,
    description: 'Only the fields given change. Rotating: send the new password (and username if it changed).',
    examples: [
      { password: 'new-robot-token…' },
      { name: 'harbor-robot-2025', description: null },
      { registries: ['harbor.example.com', 'harbor-auth.example.com'] }
    ]
  }
)
export type UpdateCredentialBody = Static<typeof UpdateCredentialBody>

export const ProjectParams = Type.Object({ project: ProjectId }, { additionalProperties: false })
export const CredentialParams = Type.Object({ project: ProjectId, credentialId: Uuid }, { additionalProperties: false })

export const CredentialPageSchema = Page('CredentialPage', ref(CredentialSchema), 'A page of credentials, by name', [
  { items: [CREDENTIAL_EXAMPLE], nextCursor: null }
])

export const credentialSchemas = [CredentialSchema, CreateCredentialBody, UpdateCredentialBody, CredentialPageSchema]
