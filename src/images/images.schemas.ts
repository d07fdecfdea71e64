import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Page, PageQuery, ProjectId, StringEnum, Text, Timestamp, Uuid, ref } from '../http/schemas.js'

export const IMAGE_CODE_PATTERN = '^[a-z][a-z0-9_-]{2,63}$'
export const ImageCode = Type.String({
  pattern: IMAGE_CODE_PATTERN,
  description:
    "The image's identity in the store: lower-case letters, digits, '-' and '_', 3–64 characters, starting with a letter; unique and immutable",
  examples: ['node-20']
})
const Name = Text(200, { minLength: 1, description: 'Display name', examples: ['Node.js 20 build image'] })
const Summary = Text(500, { description: 'One line shown in lists', examples: ['Node.js 20, npm and git for CI jobs'] })
const Description = Text(65536, { description: 'Long description (Markdown), up to 64 KiB', examples: ['Based on node:20-bookworm-slim.'] })
const Label = Type.String({
  pattern: '^[a-z0-9][a-z0-9._-]{0,63}$',
  description: 'lower-case letters, digits, ".", "_", "-"; 1–64 characters',
  examples: ['nodejs']
})
const Labels = Type.Array(Label, { maxItems: 50, uniqueItems: true, description: 'Up to 50 labels' })
const VisibilityProjects = Type.Array(ProjectId, {
  maxItems: 500,
  uniqueItems: true,
  description: 'Further projects that may resolve the image (up to 500)'
})

const KEY_EXAMPLE_PEM =
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEATlsNL5/hNQqcCQ4KfEzvM9Gg64ScLzM7oDkQBj3Dj1I=\n-----END PUBLIC KEY-----\n'
const KEY_NAME_EXAMPLE = 'release-2026'
const KeyName = Type.String({
  pattern: '^[A-Za-z0-9._-]{1,64}$',
  description:
    'Names the key in the version\'s signedBy and in check reasons: letters, digits, ".", "_", "-"; 1–64 characters, unique within the image',
  examples: [KEY_NAME_EXAMPLE]
})
const PublicKeyPem = Type.String({
  minLength: 1,
  maxLength: 4096,
  description:
    'PEM of the public key (-----BEGIN PUBLIC KEY-----, as in the cosign.pub of `cosign generate-key-pair`): ECDSA P-256 or Ed25519; up to 4 KiB',
  examples: [KEY_EXAMPLE_PEM]
})

export const SignatureKeyInputSchema = Type.Object(
  { name: KeyName, publicKey: PublicKeyPem },
  {
    $id: 'SignatureKeyInput',
    title: 'SignatureKeyInput',
    description: 'A public key versions of the image must be signed by (cosign keyed mode)',
    additionalProperties: false,
    examples: [{ name: KEY_NAME_EXAMPLE, publicKey: KEY_EXAMPLE_PEM }]
  }
)
const SignatureKeyInputs = Type.Array(ref(SignatureKeyInputSchema), {
  maxItems: 10,
  description:
    'Up to 10 public keys; a version passes its check only when its pinned digest carries a valid signature by one of them. [] = no signature required. Replaces the whole list.'
})

const SIGNATURE_KEY_EXAMPLE = {
  name: KEY_NAME_EXAMPLE,
  algorithm: 'ed25519',
  fingerprint: 'sha256:82ce1bbcfa0c8a91e546e8f65b3411f0f56bcd82d15d51f7c2812e80a80999ce',
  publicKey: KEY_EXAMPLE_PEM
}
export const SignatureKeySchema = Type.Object(
  {
    name: KeyName,
    algorithm: StringEnum(['ecdsa-p256', 'ed25519'] as const, { description: 'The kind of key' }),
    fingerprint: Type.String({
      pattern: '^sha256:[0-9a-f]{64}$',
      description: "SHA-256 of the key's SubjectPublicKeyInfo (DER), to tell keys apart",
      examples: [SIGNATURE_KEY_EXAMPLE.fingerprint]
    }),
    publicKey: Type.String({ description: 'The key as PEM (SubjectPublicKeyInfo), normalised' })
  },
  {
    $id: 'SignatureKey',
    title: 'SignatureKey',
    description: 'A public key the image requires signatures by',
    additionalProperties: false,
    examples: [SIGNATURE_KEY_EXAMPLE]
  }
)
export type SignatureKey = Static<typeof SignatureKeySchema>

export const VisibilitySchema = Type.Object(
  {
    public: Type.Boolean({ description: 'Every project may resolve the image' }),
    projects: VisibilityProjects
  },
  {
    $id: 'Visibility',
    title: 'Visibility',
    description: 'Who may resolve the image besides its owner and debug projects',
    additionalProperties: false,
    examples: [{ public: false, projects: ['web-ci'] }]
  }
)
export type Visibility = Static<typeof VisibilitySchema>

export const ApprovalPolicySchema = Type.Object(
  {
    required: Type.Integer({ minimum: 1, maximum: 5, description: 'Approvals a release needs, each from another token' }),
    approverProjects: Type.Array(ProjectId, {
      minItems: 1,
      maxItems: 20,
      uniqueItems: true,
      description:
        'Tokens acting for one of these projects, with the images:approve scope, approve or reject a release; they must see the image (owner, debug or visibility project, or a public image). The token that submitted the version or asked for the release never approves it.'
    })
  },
  {
    $id: 'ApprovalPolicy',
    title: 'ApprovalPolicy',
    description:
      'A release of the image waits for approvals (awaiting_approval) before it takes effect. A change applies to a release already waiting at its next approval; once removed, a release still waiting needs one approval from another token of the owner project (or a recheck or cancel).',
    additionalProperties: false,
    examples: [{ required: 2, approverProjects: ['platform-approvers', 'web-ci'] }]
  }
)
export type ApprovalPolicyBody = Static<typeof ApprovalPolicySchema>

// Whole units, not zero; a short length keeps testing_since + the duration a real date.
const MinTestingTime = Type.String({
  pattern: '^[1-9][0-9]*(s|m|h|d)$',
  maxLength: 8,
  description:
    'Minimum time a version is testing before it may be released (e.g. 90s, 30m, 24h, 2d), counted from when it last entered testing; an earlier release is 409 SOAK_TIME_NOT_MET',
  examples: ['24h']
})

const IMAGE_EXAMPLE = {
  id: '8e2d6a4c-1b3f-4d5e-9a7b-0c1d2e3f4a5b',
  code: 'node-20',
  name: 'Node.js 20 build image',
  ownerProject: 'payments-ci',
  debugProject: 'payments-sandbox',
  credentialId: '5d0f3a52-8c1e-4b7a-9f2e-6a4b1c9d7e30',
  summary: 'Node.js 20, npm and git for CI jobs',
  description: null,
  labels: ['nodejs', 'build'],
  visibility: { public: false, projects: ['web-ci'] },
  signatureKeys: [SIGNATURE_KEY_EXAMPLE],
  approval: { required: 1, approverProjects: ['platform-approvers'] },
  minTestingTime: '24h',
  revision: 1,
  lastReleasedAt: null,
  createdAt: '2026-11-26T18:00:00.000Z',
  createdBy: 'payments-publisher',
  updatedAt: '2026-11-26T18:00:00.000Z'
}
export { IMAGE_EXAMPLE }

const ImageFields = {
  id: Uuid,
  code: ImageCode,
  name: Type.String(),
  ownerProject: {
    ...ProjectId,
    description:
      'The project the image belongs to: tokens that may act for it (with images:write) manage the image, its versions and releases'
  },
  debugProject: {
    ...ProjectId,
    description: 'The project where new versions are tried: its tokens may resolve versions in testing, and change nothing'
  },
  credentialId: Type.Union([Uuid, Type.Null()], { description: 'Credential of the owner project used to pull; null for a public image' }),
  summary: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  labels: Type.Array(Type.String()),
  visibility: ref(VisibilitySchema),
  signatureKeys: Type.Array(ref(SignatureKeySchema), {
    description: 'Keys a version must be signed by to pass its check (any one of them); [] = no signature required'
  }),
  approval: Type.Union([ref(ApprovalPolicySchema), Type.Null()], { description: 'Approvals a release needs; null = none' }),
  minTestingTime: Type.Union([MinTestingTime, Type.Null()], { description: 'Minimum time in testing before release; null = none' }),
  revision: Type.Integer({ minimum: 1, description: 'Increases with every change; the ETag is "r<revision>"' }),
  lastReleasedAt: Type.Union([Timestamp, Type.Null()]),
  createdAt: Timestamp,
  createdBy: Type.String(),
  updatedAt: Timestamp
}

export const ImageSchema = Type.Object(ImageFields, {
  $id: 'Image',
  title: 'Image',
  description: 'An image associated with the store',
  additionalProperties: false,
  examples: [IMAGE_EXAMPLE]
})
export type Image = Static<typeof ImageSchema>

const VersionRef = Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+$', examples: ['1.4.2'] })
export const ImageLineSchema = Type.Object(
  {
    major: Type.Integer({ minimum: 0 }),
    latest: Type.Union(
      [
        Type.Object({ version: VersionRef, releasedAt: Type.Union([Timestamp, Type.Null()]) }, { additionalProperties: false }),
        Type.Null()
      ],
      {
        description: 'Newest released version of this line; null if none yet'
      }
    ),
    inProgress: Type.Union(
      [
        Type.Object(
          { version: VersionRef, status: StringEnum(['checking', 'check_failed', 'testing', 'awaiting_approval'] as const) },
          { additionalProperties: false }
        ),
        Type.Null()
      ],
      {
        description: 'The version of this line being published, if any'
      }
    )
  },
  { $id: 'ImageLine', title: 'ImageLine', description: 'One major version line', additionalProperties: false }
)
export type ImageLine = Static<typeof ImageLineSchema>

const LINE_EXAMPLE = {
  major: 1,
  latest: { version: '1.4.2', releasedAt: '2026-11-20T10:00:00.000Z' },
  inProgress: { version: '1.5.0', status: 'testing' }
}
export const ImageDetailSchema = Type.Object(
  { ...ImageFields, lines: Type.Array(ref(ImageLineSchema), { description: 'Per major line, highest major first' }) },
  {
    $id: 'ImageDetail',
    title: 'ImageDetail',
    description: 'An image with, per major line, its newest release and the version in progress',
    additionalProperties: false,
    examples: [{ ...IMAGE_EXAMPLE, lines: [LINE_EXAMPLE] }]
  }
)
export type ImageDetail = Static<typeof ImageDetailSchema>

export const CreateImageBody = Type.Object(
  {
    code: ImageCode,
    name: Name,
    ownerProject: ProjectId,
    debugProject: Type.Optional({
      ...ProjectId,
      description: 'Project where new versions are tried before release; defaults to ownerProject'
    }),
    credentialId: Type.Optional(Nullable(Uuid, { description: 'A credential of ownerProject, for a private image' })),
    summary: Type.Optional(Summary),
    description: Type.Optional(Description),
    labels: Type.Optional(Labels),
    visibility: Type.Optional(
      Type.Object(
        { public: Type.Boolean({ default: false }), projects: Type.Optional(VisibilityProjects) },
        { additionalProperties: false, description: 'Default: private (owner and debug project only)' }
      )
    ),
    signatureKeys: Type.Optional(SignatureKeyInputs),
    approval: Type.Optional(Nullable(ref(ApprovalPolicySchema), { description: 'Approvals a release needs; absent or null = none' })),
    minTestingTime: Type.Optional(Nullable(MinTestingTime, { description: 'absent or null = none' }))
  },
  {
    $id: 'CreateImage',
    title: 'CreateImage',
    additionalProperties: false,
    examples: [
      (({ code, name, ownerProject, debugProject, credentialId, summary, labels, visibility, approval, minTestingTime }) => ({
        code,
        name,
        ownerProject,
        debugProject,
        credentialId,
        summary,
        labels,
        visibility,
        signatureKeys: [{ name: KEY_NAME_EXAMPLE, publicKey: KEY_EXAMPLE_PEM }],
        approval,
        minTestingTime
      }))(IMAGE_EXAMPLE)
    ]
  }
)
export type CreateImageBody = Static<typeof CreateImageBody>

export const UpdateImageBody = Type.Object(
  {
    name: Type.Optional(Name),
    summary: Type.Optional(Nullable(Summary)),
    description: Type.Optional(Nullable(Description)),
    labels: Type.Optional(Labels),
    debugProject: Type.Optional(ProjectId),
    credentialId: Type.Optional(Nullable(Uuid, { description: 'null: pull without a credential' })),
    visibility: Type.Optional(
      Type.Object(
        { public: Type.Optional(Type.Boolean()), projects: Type.Optional(VisibilityProjects) },
        { additionalProperties: false, minProperties: 1 }
      )
    ),
    signatureKeys: Type.Optional(SignatureKeyInputs),
    approval: Type.Optional(Nullable(ref(ApprovalPolicySchema), { description: 'Replaces the policy; null = releases need no approval' })),
    minTestingTime: Type.Optional(Nullable(MinTestingTime, { description: 'null = no minimum' }))
  },
  {
    $id: 'UpdateImage',
    title: 'UpdateImage',
    additionalProperties: false,
    minProperties: 1,
    description:
      'Only the fields given change (null clears summary, description, credentialId, approval, minTestingTime). code and ownerProject cannot change.',
    examples: [
      { summary: 'Node.js 20.18, npm 10 and git', labels: ['nodejs', 'build', 'lts'] },
      { credentialId: null, visibility: { public: true } },
      { signatureKeys: [{ name: KEY_NAME_EXAMPLE, publicKey: KEY_EXAMPLE_PEM }] },
      { approval: { required: 2, approverProjects: ['platform-approvers', 'web-ci'] }, minTestingTime: '2d' }
    ]
  }
)
export type UpdateImageBody = Static<typeof UpdateImageBody>

export const ImageCodeParams = Type.Object({ code: ImageCode }, { additionalProperties: false })

export const IMAGE_SORTS = ['code', 'lastRelease'] as const
export const ListImagesQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Text(200, { minLength: 1, description: 'Words matched as prefixes against code, name and summary (all must match)' })),
    label: Type.Optional(Type.Array(Label, { maxItems: 10, description: 'Only images with every given label (repeat the parameter)' })),
    project: Type.Optional({ ...ProjectId, description: 'Only images this project owns, debugs or may see' }),
    sort: StringEnum(IMAGE_SORTS, {
      default: 'code',
      description: 'code (A→Z), or lastRelease (most recently released first, never released last)'
    })
  },
  { additionalProperties: false }
)
export type ListImagesQuery = Static<typeof ListImagesQuery>

export const ImagePageSchema = Page('ImagePage', ref(ImageSchema), 'A page of images', [{ items: [IMAGE_EXAMPLE], nextCursor: null }])

export const imageSchemas = [
  VisibilitySchema,
  ApprovalPolicySchema,
  SignatureKeyInputSchema,
  SignatureKeySchema,
  ImageSchema,
  ImageLineSchema,
  ImageDetailSchema,
  CreateImageBody,
  UpdateImageBody,
  ImagePageSchema
]
