import { Type, type Static } from '@sinclair/typebox'
import { ProblemSchema, problemType } from '../http/problem.js'
import type { ProblemCode } from '../http/problem-codes.js'
import { Nullable, ProjectId, ref, StringEnum, Text, Timestamp, Uuid } from '../http/schemas.js'
import { ImageCode } from '../images/images.schemas.js'
import { PlatformSchema } from '../versions/versions.schemas.js'
import { SPEC_GRAMMAR_TEXT } from './select-version.js'

export const SpecText = Type.String({
  minLength: 1,
  maxLength: 64,
  description: `Version spec: ${SPEC_GRAMMAR_TEXT}`,
  examples: ['1.latest']
})
const Pipeline = Text(200, { minLength: 1, description: 'The pipeline asking (recorded in the resolution log)', examples: ['p-8f3a1c'] })
const Build = Text(200, { minLength: 1, description: 'The build asking (recorded in the resolution log)', examples: ['b-20261126-0042'] })

const DIGEST = 'sha256:3f1a2b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a'

export const RESOLUTION_EXAMPLE = {
  image: 'node-20',
  spec: '1.latest',
  version: '1.4.2',
  status: 'released' as const,
  reference: 'registry.example.com/ci/node:20.11-1',
  digest: DIGEST,
  pinnedReference: `registry.example.com/ci/node@${DIGEST}`,
  platforms: [{ os: 'linux', architecture: 'amd64' }],
  drift: null,
  credential: { id: '0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55', project: 'platform' }
}

const DRIFTED_EXAMPLE = {
  ...RESOLUTION_EXAMPLE,
  spec: '1.4.2',
  drift: {
    upstreamDigest: 'sha256:9c2e7a4b1d0f3e6a5c8b7d2e1f0a9c8b7e6d5a4f3c2b1e0d9a8f7c6b5e4d3a2f',
    firstSeenAt: '2026-11-30T06:12:40.000Z'
  },
  credential: null
}

export const ResolutionDriftSchema = Type.Object(
  {
    upstreamDigest: Nullable(Type.String(), {
      description: 'The digest the tag points at now; null when the tag is gone from the registry',
      examples: ['sha256:9c2e7a4b1d0f3e6a5c8b7d2e1f0a9c8b7e6d5a4f3c2b1e0d9a8f7c6b5e4d3a2f']
    }),
    firstSeenAt: { ...Timestamp, description: 'When a verification first saw the tag point away from the pinned digest' }
  },
  { additionalProperties: false }
)

export const PullSecretSchema = Type.Object(
  { username: Type.String(), password: Type.String() },
  {
    description: 'Registry login for the credential; only for tokens with the pull-secrets scope. Every one handed out is recorded.',
    additionalProperties: false
  }
)
export type PullSecret = Static<typeof PullSecretSchema>

export const ResolutionSchema = Type.Object(
  {
    image: Type.String({ description: 'The image code' }),
    spec: Type.String({ description: 'The spec as requested' }),
    version: Type.String({ description: 'The version it resolved to', examples: ['1.4.2'] }),
    status: StringEnum(['released', 'testing', 'awaiting_approval'] as const, {
      description: 'testing and awaiting_approval (versions before release) only for the image debug project'
    }),
    reference: Type.String({ description: 'registry/repository:tag, as published' }),
    digest: Type.String({ description: 'Manifest digest recorded when the version was checked' }),
    pinnedReference: Type.String({ description: 'registry/repository@digest: what the engine should pull' }),
    platforms: Type.Array(PlatformSchema),
    drift: Nullable(ResolutionDriftSchema, {
      description:
        'Set while the tag no longer points at the pinned digest (re-pushed, or deleted), as the last verification found. ' +
        'The pinned digest is still what to pull: it is what was checked and released. null while the tag and the pin agree.'
    }),
    credential: Type.Union([Type.Object({ id: Uuid, project: ProjectId }, { additionalProperties: false }), Type.Null()], {
      description:
        "The registry credential to pull with; null for an anonymous pull. Only ever a credential bound to the version's registry host."
    }),
    unboundCredential: Type.Optional(
      Type.Object(
        { id: Uuid, project: ProjectId },
        {
          additionalProperties: false,
          description:
            "Present only when the credential configured for this version (its own, or the image's) is not bound to the version's registry host: it is not " +
            "used, credential and pullSecret are null and the engine should pull anonymously. If the image is private there, the credential's owner adds the " +
            "host to the credential's registries (PATCH /v1/projects/{project}/credentials/{id})."
        }
      )
    ),
    pullSecret: Type.Optional(
      Type.Union([PullSecretSchema, Type.Null()], {
        description:
          "Present only with the pull-secrets scope; null when no credential is needed, or when the configured one is not bound to the version's registry (see unboundCredential)"
      })
    )
  },
  {
    $id: 'Resolution',
    title: 'Resolution',
    description: 'A version spec resolved to one exact, digest-pinned version',
    additionalProperties: false,
    examples: [RESOLUTION_EXAMPLE, DRIFTED_EXAMPLE]
  }
)
export type Resolution = Static<typeof ResolutionSchema>

export const ResolveParams = Type.Object({ code: ImageCode }, { additionalProperties: false })

export const ResolveQuery = Type.Object(
  { version: SpecText, project: ProjectId, pipeline: Type.Optional(Pipeline), build: Type.Optional(Build) },
  { additionalProperties: false }
)

export const MAX_BATCH = 100

export const ResolveBatchBody = Type.Object(
  {
    project: ProjectId,
    pipeline: Type.Optional(Pipeline),
    build: Type.Optional(Build),
    images: Type.Array(Type.Object({ image: ImageCode, version: SpecText }, { additionalProperties: false }), {
      minItems: 1,
      maxItems: MAX_BATCH,
      description: `The images of every job, 1–${MAX_BATCH} entries`
    })
  },
  {
    $id: 'ResolveBatch',
    title: 'ResolveBatch',
    additionalProperties: false,
    examples: [
      {
        project: 'payments-ci',
        pipeline: 'p-8f3a1c',
        build: 'b-20261126-0042',
        images: [
          { image: 'node-20', version: '1.latest' },
          { image: 'maven-3', version: '2.1.0' }
        ]
      }
    ]
  }
)
export type ResolveBatchBody = Static<typeof ResolveBatchBody>

const Resolved = Type.Object(
  { image: Type.String(), version: Type.String({ description: 'The spec as requested' }), resolution: ref(ResolutionSchema) },
  { additionalProperties: false }
)
const Failed = Type.Object(
  { image: Type.String(), version: Type.String({ description: 'The spec as requested' }), problem: ref(ProblemSchema) },
  { additionalProperties: false }
)

export const ResolveBatchResultSchema = Type.Object(
  {
    results: Type.Array(Type.Union([Resolved, Failed]), {
      description: 'One per requested entry, in order: a `resolution`, or the `problem` that entry alone would have answered'
    })
  },
  {
    $id: 'ResolveBatchResult',
    title: 'ResolveBatchResult',
    description: 'The resolutions of a batch, one result per entry',
    additionalProperties: false,
    examples: [
      {
        results: [
          { image: 'node-20', version: '1.latest', resolution: RESOLUTION_EXAMPLE },
          {
            image: 'maven-3',
            version: '2.1.0',
            problem: {
              type: 'urn:ci-image-store:problem:version-not-found',
              title: 'Not Found',
              status: 404,
              detail: 'Image "maven-3" has no version 2.1.0 that project "payments-ci" can use; the newest it can use is 2.0.3.',
              instance: '/v1/resolve',
              code: 'VERSION_NOT_FOUND',
              requestId: '6f1c2e0a-3b9d-4a43-9a55-0c5f4f1d2b7e',
              spec: '2.1.0',
              newestVersion: '2.0.3'
            }
          }
        ]
      }
    ]
  }
)
export type ResolveBatchResult = Static<typeof ResolveBatchResultSchema>

const goneExample = (code: ProblemCode, members: Record<string, unknown>, detail: string) => ({
  type: problemType(code),
  title: 'Gone',
  status: 410,
  detail,
  instance: '/v1/images/node-20/resolve',
  code,
  requestId: '6f1c2e0a-3b9d-4a43-9a55-0c5f4f1d2b7e',
  image: 'node-20',
  version: '1.4.2',
  ...members,
  servingVersion: '1.4.1'
})

/** The two 410s of resolve, as the contract shows them. */
export const GONE_EXAMPLES = {
  withdrawn: {
    summary: 'Withdrawn by its publisher, for good',
    value: goneExample(
      'VERSION_WITHDRAWN',
      { withdrawReason: 'CVE-2026-1234 in the bundled OpenSSL' },
      'Version 1.4.2 of "node-20" was withdrawn (CVE-2026-1234 in the bundled OpenSSL); "1.latest" now resolves to 1.4.1; use it or another exact version.'
    )
  },
  unavailable: {
    summary: 'Its pinned digest is gone from the registry, until a verification finds it again',
    value: goneExample(
      'VERSION_UNAVAILABLE',
      {
        unavailableReason: `the registry answered 404 for ${DIGEST} at two verifications in a row`,
        unavailableSince: '2026-11-30T10:12:41.000Z'
      },
      `Version 1.4.2 of "node-20" cannot be pulled since 2026-11-30T10:12:41.000Z: the registry answered 404 for ${DIGEST} at two verifications in a row. ` +
        'It is served again once a verification finds it pullable; "1.latest" now resolves to 1.4.1; use it or another exact version.'
    )
  }
}

/** Headers a response carries when it was answered from a cache entry that could not be refreshed. */
export const STALE_HEADERS = { warning: '110 - "Response is stale"', 'x-cache-stale': 'true' }

export const StaleHeaderDocs = {
  warning: { type: 'string', description: 'Only on stale answers: 110 - "Response is stale"' },
  'x-cache-stale': {
    type: 'string',
    description: 'Only on stale answers ("true"): the database was unreachable, this is the last known state'
  }
}
