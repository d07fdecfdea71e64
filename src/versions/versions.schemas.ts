import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Page, PageQuery, StringEnum, Text, Timestamp, Uuid, ref } from '../http/schemas.js'
import { ImageCode } from '../images/images.schemas.js'
import { REGISTRY_HOST_PATTERN, REPOSITORY_PATTERN, TAG_PATTERN } from '../registry/index.js'
import { PUBLISHER_ACTIONS, VERSION_STATUSES } from './version-lifecycle.js'
import { VERSION_PATTERN } from './version-number.js'
import { releaseSchemas, ReleaseRequestSchema, VersionApprovalSchema } from './release.schemas.js'

export const RELEASE_TYPES = ['major', 'minor', 'patch'] as const
export const CHECK_CLASSES = ['not_found', 'unauthorized', 'rate_limited', 'unavailable', 'invalid', 'refused', 'unsigned'] as const

export const MAX_DOCKERFILE_BYTES = 256 * 1024
export const MAX_RELEASE_NOTES_BYTES = 64 * 1024

const VersionText = Type.String({ pattern: VERSION_PATTERN, description: 'A version number M.m.p', examples: ['1.4.2'] })

export const VersionStatusSchema = StringEnum(VERSION_STATUSES, {
  description:
    'checking → testing (pullable) or check_failed; testing → released, or → awaiting_approval when the image requires approvals (then → released by the last approval needed, or back to testing when rejected); checking/check_failed/testing/awaiting_approval → cancelled; released → withdrawn'
})
export const ReleaseTypeSchema = StringEnum(RELEASE_TYPES, { description: 'major → (M+1).0.0, minor → M.(m+1).0, patch → M.m.(p+1)' })
const ActionSchema = StringEnum(PUBLISHER_ACTIONS)

/** Where an image runs, as its manifest says (registry/outcome.ts's Platform). */
export const PlatformSchema = Type.Object(
  {
    os: Type.String({ examples: ['linux'] }),
    architecture: Type.String({ examples: ['amd64'] }),
    variant: Type.Optional(Type.String({ examples: ['v8'] }))
  },
  { additionalProperties: false }
)

export const VERSION_EXAMPLE = {
  imageCode: 'node-20',
  version: '1.4.2',
  major: 1,
  minor: 4,
  patch: 2,
  releaseType: 'patch',
  status: 'testing',
  statusReason: null,
  checkClass: null,
  allowedActions: ['recheck', 'release', 'cancel'],
  registry: 'registry.example.com',
  repository: 'ci/node',
  tag: '20.11-1',
  reference: 'registry.example.com/ci/node:20.11-1',
  digest: 'sha256:4b1f5c0d8e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c',
  pinnedReference: 'registry.example.com/ci/node@sha256:4b1f5c0d8e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c',
  platforms: [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' }
  ],
  mediaType: 'application/vnd.oci.image.index.v1+json',
  size: 1786,
  checkedAt: '2026-11-26T18:00:04.000Z',
  credentialId: '0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55',
  dockerfile: 'FROM node:20-bookworm\nRUN npm i -g pnpm@9\n',
  releaseNotes: 'Fix: pnpm 9.1 for the lockfile format change.',
  submittedBy: 'payments-publisher',
  submittedAt: '2026-11-26T18:00:00.000Z',
  releasedBy: null,
  releasedAt: null,
  cancelledBy: null,
  cancelledAt: null,
  withdrawnBy: null,
  withdrawnAt: null,
  withdrawReason: null,
  signedBy: null,
  testingSince: '2026-11-26T18:00:04.000Z',
  releasableAt: '2026-11-27T18:00:04.000Z',
  releaseRequest: null,
  approval: null,
  verification: {
    lastVerifiedAt: null,
    lastError: null,
    drift: null,
    available: true,
    unavailableSince: null,
    unavailableReason: null
  },
  updatedAt: '2026-11-26T18:00:04.000Z'
}

const PINNED = 'sha256:4b1f5c0d8e9a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c'

/** A released, signed version whose tag was re-pushed since: still served by its pinned digest. */
export const DRIFTED_VERSION_EXAMPLE = {
  ...VERSION_EXAMPLE,
  status: 'released',
  allowedActions: ['withdraw'],
  releasedBy: 'payments-publisher',
  releasedAt: '2026-11-26T19:30:00.000Z',
  releasableAt: null,
  releaseRequest: { by: 'payments-publisher', at: '2026-11-26T19:30:00.000Z', rollout: null },
  signedBy: { key: 'release-2026', fingerprint: 'sha256:0f4e2a9c7b1d3e5f6a8b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e2f' },
  verification: {
    lastVerifiedAt: '2026-11-30T10:12:41.000Z',
    lastError: null,
    drift: {
      upstreamDigest: 'sha256:9c2e7a4b1d0f3e6a5c8b7d2e1f0a9c8b7e6d5a4f3c2b1e0d9a8f7c6b5e4d3a2f',
      firstSeenAt: '2026-11-30T06:12:40.000Z'
    },
    available: true,
    unavailableSince: null,
    unavailableReason: null
  },
  updatedAt: '2026-11-30T06:12:40.000Z'
}

/** A version whose image requires two approvals, approved once so far. */
export const AWAITING_APPROVAL_VERSION_EXAMPLE = {
  ...VERSION_EXAMPLE,
  status: 'awaiting_approval',
  allowedActions: ['recheck', 'cancel'],
  releasableAt: null,
  releaseRequest: {
    by: 'payments-publisher',
    at: '2026-11-27T18:30:00.000Z',
    rollout: { stages: [{ projects: ['early-a'] }, { percent: 25 }], advanceAfter: '24h' }
  },
  approval: {
    required: 2,
    approverProjects: ['platform-approvers', 'web-ci'],
    approvals: [
      {
        tokenName: 'web-ci-approver',
        projects: ['web-ci'],
        approvedAt: '2026-11-27T19:02:11.000Z',
        comment: 'Smoke tests green in web-ci.'
      }
    ]
  },
  updatedAt: '2026-11-27T19:02:11.000Z'
}

/** The same version once the registry dropped its pinned digest (the re-pushed tag left it untagged): resolve skips it. */
export const UNAVAILABLE_VERSION_EXAMPLE = {
  ...DRIFTED_VERSION_EXAMPLE,
  signedBy: null,
  verification: {
    lastVerifiedAt: '2026-11-30T06:12:40.000Z',
    lastError: null,
    drift: DRIFTED_VERSION_EXAMPLE.verification.drift,
    available: false,
    unavailableSince: '2026-11-30T10:12:41.000Z',
    unavailableReason: `the registry answered 404 for ${PINNED} at two verifications in a row (2026-11-30T10:11:40Z and 2026-11-30T10:12:41Z)`
  },
  updatedAt: '2026-11-30T10:12:41.000Z'
}

export const SignedBySchema = Type.Object(
  {
    key: Type.String({ description: "The name of the image's signature key that signed the pinned digest", examples: ['release-2026'] }),
    fingerprint: Type.String({
      description: 'sha256 of the public key (SPKI DER), as the image view shows it',
      examples: ['sha256:0f4e2a9c7b1d3e5f6a8b0c2d4e6f8a1b3c5d7e9f0a2b4c6d8e0f1a3b5c7d9e2f']
    })
  },
  { additionalProperties: false }
)

export const VersionDriftSchema = Type.Object(
  {
    upstreamDigest: Nullable(Type.String(), {
      description: 'The digest the tag points at now; null when the tag is gone from the registry'
    }),
    firstSeenAt: { ...Timestamp, description: 'When a verification first saw the tag point there' }
  },
  { additionalProperties: false }
)

export const VerificationSchema = Type.Object(
  {
    lastVerifiedAt: Nullable(Timestamp, {
      description: 'The last time a re-verification reached the registry and found the pinned digest there; null before the first one'
    }),
    lastError: Nullable(Type.String(), {
      description:
        'Why the last re-verification could not finish (registry unreachable, rate limited…); it is retried, and neither drift nor availability changed. null once one finishes.'
    }),
    drift: Nullable(VersionDriftSchema, {
      description:
        'Set while the tag points at another digest than the pinned one (re-pushed), or at none (deleted). Resolve keeps answering the pinned digest and shows this drift.'
    }),
    available: Type.Boolean({
      description:
        'false while the pinned digest cannot be pulled: the registry answered 404 for it twice in a row, or the image requires signatures and no valid one is found. Resolve skips an unavailable version (N.latest falls back) and answers an exact request with 410 VERSION_UNAVAILABLE; the version keeps its status and is served again once a verification finds it pullable.'
    }),
    unavailableSince: Nullable(Timestamp, { description: 'Since when the version is unavailable; null while available' }),
    unavailableReason: Nullable(Type.String(), { description: 'What the verification found; null while available' })
  },
  {
    additionalProperties: false,
    description:
      'What re-verification of the pinned digest found (testing and released versions are re-verified on a schedule and on demand)'
  }
)

export const VersionSchema = Type.Object(
  {
    imageCode: Type.String({ examples: ['node-20'] }),
    version: Type.String({ description: 'M.m.p, computed by the server', examples: ['1.4.2'] }),
    major: Type.Integer({ minimum: 0 }),
    minor: Type.Integer({ minimum: 0 }),
    patch: Type.Integer({ minimum: 0 }),
    releaseType: Nullable(ReleaseTypeSchema, { description: 'null for the first version of an image (always 1.0.0)' }),
    status: VersionStatusSchema,
    statusReason: Nullable(Type.String(), {
      description:
        'Why the version is in its status: the check failure, the cancel or withdraw reason, why a check is still retrying, or why an approver rejected its release (testing again)'
    }),
    checkClass: Nullable(StringEnum(CHECK_CLASSES), {
      description:
        'Class of the last failed check (null after a successful one); unsigned: the image requires signatures and none valid was found'
    }),
    allowedActions: Type.Array(ActionSchema, {
      description:
        "What a publisher may do from the current status. Approve and reject are an approver's, not listed here: see `approval` (while awaiting_approval)"
    }),
    registry: Type.String({ description: 'Registry host; docker.io for Docker Hub', examples: ['registry.example.com'] }),
    repository: Type.String({ examples: ['ci/node'] }),
    tag: Type.String({ examples: ['20.11-1'] }),
    reference: Type.String({ description: 'registry/repository:tag as submitted', examples: ['registry.example.com/ci/node:20.11-1'] }),
    digest: Nullable(Type.String(), { description: 'Manifest digest found by the last successful check' }),
    pinnedReference: Nullable(Type.String(), { description: 'registry/repository@digest; null until a check succeeded' }),
    platforms: Nullable(Type.Array(PlatformSchema), { description: 'Runnable platforms found by the check' }),
    mediaType: Nullable(Type.String()),
    size: Nullable(Type.Integer({ minimum: 0 }), { description: 'Compressed size in bytes, from the check' }),
    checkedAt: Nullable(Timestamp),
    credentialId: Nullable(Uuid, { description: 'Registry credential used to pull; null = anonymous' }),
    dockerfile: Nullable(Type.String()),
    releaseNotes: Nullable(Type.String()),
    submittedBy: Type.String(),
    submittedAt: Timestamp,
    releasedBy: Nullable(Type.String()),
    releasedAt: Nullable(Timestamp),
    cancelledBy: Nullable(Type.String()),
    cancelledAt: Nullable(Timestamp),
    withdrawnBy: Nullable(Type.String()),
    withdrawnAt: Nullable(Timestamp),
    withdrawReason: Nullable(Type.String()),
    signedBy: Nullable(SignedBySchema, {
      description:
        "Which of the image's signature keys signed the pinned digest; null when the image requires no signature (or none was found)"
    }),
    testingSince: Nullable(Timestamp, {
      description:
        "When the version last entered testing (a recheck starts it again; a rejection does not); the image's minTestingTime counts from here"
    }),
    releasableAt: Nullable(Timestamp, {
      description:
        "While testing: the first moment a release is possible under the image's minTestingTime; null when the image sets none or the version is not testing"
    }),
    releaseRequest: Nullable(ReleaseRequestSchema),
    approval: Nullable(VersionApprovalSchema),
    verification: VerificationSchema,
    updatedAt: Timestamp
  },
  {
    $id: 'Version',
    title: 'Version',
    description: 'A version of an image and where it is in its release lifecycle',
    additionalProperties: false,
    examples: [VERSION_EXAMPLE, AWAITING_APPROVAL_VERSION_EXAMPLE, DRIFTED_VERSION_EXAMPLE, UNAVAILABLE_VERSION_EXAMPLE]
  }
)
export type Version = Static<typeof VersionSchema>

export const SubmitVersionBody = Type.Object(
  {
    releaseType: Type.Optional(ReleaseTypeSchema),
    line: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 999_999_999,
        description:
          'Bump the highest version of this major line instead of the highest overall (minor or patch only), e.g. a fix for 1.x while 2.x exists'
      })
    ),
    registry: Type.Optional(
      Type.String({
        pattern: `^$|${REGISTRY_HOST_PATTERN}`,
        maxLength: 255,
        description:
          "Registry host[:port]; empty or absent = docker.io. A single name without dot or port (e.g. harbor) is refused with 400 INVALID_IMAGE_REFERENCE: use the registry's full host name. When the version pulls with a credential, the host must be one of the credential's registries (400 CREDENTIAL_REGISTRY_MISMATCH otherwise)."
      })
    ),
    repository: Type.String({
      pattern: REPOSITORY_PATTERN,
      maxLength: 255,
      description: 'Image name with its namespace, lower case',
      examples: ['team/tools/builder']
    }),
    tag: Type.String({ pattern: TAG_PATTERN, description: 'Tag to check and release', examples: ['2.3.0'] }),
    credentialId: Type.Optional(
      Nullable(Uuid, { description: "A credential of the image's owner project; absent = the image's credential; null = anonymous pull" })
    ),
    dockerfile: Type.Optional(Text(MAX_DOCKERFILE_BYTES, { description: 'Shown in the store (≤ 256 KiB)' })),
    releaseNotes: Type.Optional(Text(MAX_RELEASE_NOTES_BYTES, { description: '≤ 64 KiB' }))
  },
  {
    $id: 'SubmitVersion',
    title: 'SubmitVersion',
    additionalProperties: false,
    examples: [
      {
        releaseType: 'minor',
        registry: 'registry.example.com',
        repository: 'ci/node',
        tag: '20.12-1',
        releaseNotes: 'Node 20.12, pnpm 9.'
      },
      { releaseType: 'patch', line: 1, repository: 'library/node', tag: '18.20.4' }
    ]
  }
)
export type SubmitVersionBody = Static<typeof SubmitVersionBody>

export const ImageCodeParams = Type.Object({ code: ImageCode }, { additionalProperties: false })
export const VersionParams = Type.Object({ code: ImageCodeParams.properties.code, version: VersionText }, { additionalProperties: false })

export const ListVersionsQuery = Type.Object(
  {
    ...PageQuery,
    status: Type.Optional(
      Type.Array(VersionStatusSchema, { uniqueItems: true, description: 'Only these statuses (repeat the parameter for several)' })
    ),
    line: Type.Optional(Type.Integer({ minimum: 1, maximum: 999_999_999, description: 'Only this major line' }))
  },
  { additionalProperties: false }
)

export const CancelBody = Type.Object(
  { reason: Type.Optional(Text(1000, { minLength: 1, description: 'Why; kept in the audit trail' })) },
  { $id: 'CancelVersion', title: 'CancelVersion', additionalProperties: false, examples: [{ reason: 'Wrong base image; resubmitting.' }] }
)
export const WithdrawBody = Type.Object(
  { reason: Text(1000, { minLength: 1, description: 'Why the release is taken down; shown to users' }) },
  {
    $id: 'WithdrawVersion',
    title: 'WithdrawVersion',
    additionalProperties: false,
    examples: [{ reason: 'CVE-2026-1234 in the bundled OpenSSL; use 1.4.3.' }]
  }
)

export const VersionPageSchema = Page('VersionPage', ref(VersionSchema), 'A page of versions', [
  { items: [VERSION_EXAMPLE], nextCursor: null }
])

export const versionSchemas = [...releaseSchemas, VersionSchema, SubmitVersionBody, CancelBody, WithdrawBody, VersionPageSchema]
