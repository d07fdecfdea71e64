import { Type, type Static, type TObject, type TProperties, type TSchema } from '@sinclair/typebox'

// Every code the service answers with, its status and the extension members its problem carries.
// ProblemError only takes a code listed here (and only the members listed for it), so the contract,
// which is built from this list, names every code a client can meet.

const text = (description: string, examples?: string[]) => Type.String({ description, ...(examples ? { examples } : {}) })
// The foundations import no feature: statuses and actions are the ones the Version component lists.
const versionStatus = Type.Unsafe<string>({ $ref: '#/components/schemas/Version/properties/status' })
const versionActions = Type.Unsafe<string[]>({ $ref: '#/components/schemas/Version/properties/allowedActions' })
const majorLines = Type.Array(Type.Integer({ minimum: 1 }), { description: 'The major lines the image has' })

interface ProblemDefinition {
  /** The status it is answered with; a range for codes that keep the status of a framework error. */
  status: number | { minimum: number; maximum: number }
  description: string
  extensions?: TProperties
}

export const PROBLEM_CODES = {
  // Requests the HTTP layer refuses
  MALFORMED_REQUEST: { status: 400, description: 'The request is not valid HTTP/1.1' },
  MALFORMED_URL: { status: 400, description: 'A percent-encoded sequence in the path is incomplete or not UTF-8' },
  MALFORMED_JSON: { status: 400, description: 'The body is not valid JSON' },
  INVALID_CONTENT_LENGTH: { status: 400, description: 'Content-Length does not match the body' },
  HOST_REQUIRED: { status: 400, description: 'An HTTP/1.1 request without a Host header' },
  CLIENT_ABORTED: { status: 400, description: 'The connection closed before the request was complete' },
  CLIENT_ERROR: {
    status: { minimum: 400, maximum: 499 },
    description: 'Another request error found by the HTTP framework; the detail says which'
  },
  VALIDATION_FAILED: {
    status: 400,
    description: 'A parameter or the body breaks its schema',
    extensions: {
      errors: Type.Array(Type.Object({ path: text('e.g. body.tag'), message: Type.String() }, { additionalProperties: false }), {
        description: 'Each invalid field'
      })
    }
  },
  REQUEST_TIMEOUT: { status: 408, description: 'The request did not arrive whole in time' },
  BODY_TOO_LARGE: { status: 413, description: 'The body is larger than the service accepts' },
  PATH_PARAMETER_TOO_LONG: { status: 414, description: 'A path parameter is longer than any code, id or version' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: 'The body is not JSON' },
  HEADERS_TOO_LARGE: { status: 431, description: 'The request headers are too large' },
  ROUTE_NOT_FOUND: { status: 404, description: 'No operation has this path' },
  METHOD_NOT_ALLOWED: { status: 405, description: 'The path exists but not with this method (see Allow)' },
  INVALID_CURSOR: { status: 400, description: 'The cursor is not one the service issued' },
  INVALID_TIMESTAMP: {
    status: 400,
    description: 'A time the database cannot store',
    extensions: { field: text('The parameter or field') }
  },
  INTERNAL_ERROR: { status: 500, description: 'An unexpected error, logged under the requestId' },
  DATABASE_UNAVAILABLE: { status: 503, description: 'The database is unreachable; retry after Retry-After' },
  NOT_READY: { status: 503, description: 'The service is starting or draining' },
  RATE_LIMITED: { status: 429, description: 'Too many requests; retry after Retry-After' },

  // Authentication and authorisation
  AUTHENTICATION_REQUIRED: { status: 401, description: 'No Authorization header' },
  INVALID_AUTHORIZATION_HEADER: { status: 401, description: 'The Authorization header is not "Bearer <token>"' },
  INVALID_TOKEN: { status: 401, description: 'The token is unknown' },
  TOKEN_REVOKED: { status: 401, description: 'The token was revoked' },
  TOKEN_EXPIRED: { status: 401, description: 'The token has expired' },
  INSUFFICIENT_SCOPE: {
    status: 403,
    description: 'The token lacks a scope',
    extensions: { requiredScope: text('The scope needed', ['images:write']) }
  },
  PROJECT_NOT_ALLOWED: {
    status: 403,
    description: 'The token may not act for the project',
    extensions: { project: text('The project asked for') }
  },
  NOT_IMAGE_OWNER: {
    status: 403,
    description: "The token may not act for the image's owner project",
    extensions: { ownerProject: text("The image's owner project") }
  },

  // Tokens
  TOKEN_NOT_FOUND: { status: 404, description: 'No token with this id' },
  EXPIRY_IN_PAST: { status: 422, description: 'expiresAt is in the past' },

  // Credentials
  CREDENTIAL_NOT_FOUND: { status: 404, description: 'No such credential (in this project)' },
  CREDENTIAL_NAME_TAKEN: {
    status: 409,
    description: 'The project already has a credential with this name',
    extensions: { name: Type.Optional(text('The name asked for')) }
  },
  INVALID_REGISTRY_HOST: {
    status: 400,
    description: 'A registry is not a host[:port]',
    extensions: { registry: text('The host as sent'), hint: text('How to write it') }
  },
  CREDENTIAL_REGISTRIES_IN_USE: {
    status: 409,
    description: 'Versions pull with the credential from hosts the new list leaves out',
    extensions: {
      versions: Type.Array(
        Type.Object({ image: Type.String(), version: Type.String(), registry: Type.String() }, { additionalProperties: false })
      )
    }
  },
  CREDENTIAL_IN_USE: {
    status: 409,
    description: 'Images or versions still use the credential',
    extensions: {
      usedBy: Type.Object(
        {
          images: Type.Array(Type.String(), { description: 'Image codes' }),
          versions: Type.Array(Type.Object({ image: Type.String(), version: Type.String() }, { additionalProperties: false }))
        },
        { additionalProperties: false }
      )
    }
  },
  CREDENTIAL_NOT_IN_PROJECT: {
    status: 422,
    description: "The credential is not one of the image's owner project",
    extensions: { credentialId: Type.String(), project: Type.String() }
  },
  CREDENTIAL_NOT_IN_OWNER_PROJECT: {
    status: 422,
    description: "The credential belongs to another project than the image's owner",
    extensions: { credentialProject: Type.String(), ownerProject: Type.String() }
  },
  CREDENTIAL_REGISTRY_MISMATCH: {
    status: 400,
    description: 'The credential is not bound to the registry of the version',
    extensions: { credentialId: Type.String(), credentialRegistries: Type.Array(Type.String()), registry: Type.String() }
  },
  CREDENTIAL_UNAVAILABLE: {
    status: 409,
    description: "The image's credential cannot be read",
    extensions: { image: Type.String(), credentialId: Type.String() }
  },

  // Images
  IMAGE_NOT_FOUND: {
    status: 404,
    description: 'No image with this code is visible to the token (or project)',
    extensions: { image: Type.Optional(Type.String()), project: Type.Optional(Type.String()) }
  },
  IMAGE_NOT_VISIBLE: {
    status: 404,
    description: 'The image exists but is private to other projects (told to admins only)',
    extensions: { image: Type.String(), project: Type.String() }
  },
  IMAGE_CODE_TAKEN: { status: 409, description: 'Another image has this code', extensions: { imageCode: Type.String() } },
  IMAGE_CHANGED: {
    status: 412,
    description: 'If-Match does not match the current ETag',
    extensions: { currentETag: text('The ETag to send after re-reading the image', ['"4"']) }
  },
  IMAGE_HAS_RELEASES: { status: 409, description: 'An image with released or withdrawn versions cannot be deleted' },
  IMMUTABLE_FIELD: {
    status: 400,
    description: 'A field that cannot change after association',
    extensions: { fields: Type.Array(Type.String()) }
  },
  INVALID_SIGNATURE_KEY: {
    status: 400,
    description: 'A signature key is not a PEM public key of a supported kind (ECDSA P-256 or Ed25519), or two keys share a name',
    extensions: { keyName: text('The key concerned'), hint: text('What the service accepts') }
  },
  INVALID_SEARCH: { status: 400, description: 'q has no word to search for' },

  // Versions
  INVALID_VERSION: { status: 400, description: 'The path segment is not a version M.m.p' },
  INVALID_IMAGE_REFERENCE: {
    status: 400,
    description: 'registry, repository and tag do not form an image reference',
    extensions: { reference: text('The reference as understood') }
  },
  VERSION_NOT_FOUND: {
    status: 404,
    description: 'No such version, or none matching the spec that the project can use',
    extensions: {
      image: Type.Optional(Type.String()),
      version: Type.Optional(Type.String()),
      spec: Type.Optional(Type.String()),
      newestVersion: Type.Optional(Type.Union([Type.String(), Type.Null()], { description: 'The newest version the project can use' }))
    }
  },
  VERSION_IN_PROGRESS: {
    status: 409,
    description: 'Another version of the image is still in progress',
    extensions: { inProgressVersion: Type.String(), currentStatus: versionStatus, allowedActions: versionActions }
  },
  VERSION_STATUS_CONFLICT: {
    status: 409,
    description: "The version's status does not allow the action",
    extensions: { version: Type.String(), currentStatus: versionStatus, allowedActions: versionActions }
  },
  VERSION_WITHDRAWN: {
    status: 410,
    description: 'The exact version asked for was withdrawn',
    extensions: {
      image: Type.String({ examples: ['node-20'] }),
      version: Type.String({ examples: ['1.4.2'] }),
      withdrawReason: Type.Union([Type.String(), Type.Null()], { examples: ['CVE-2026-1234 in the bundled OpenSSL'] }),
      servingVersion: Type.Union([Type.String(), Type.Null()], { description: 'What N.latest resolves to now', examples: ['1.4.1'] })
    }
  },
  VERSION_UNAVAILABLE: {
    status: 410,
    description:
      'The exact version asked for cannot be pulled now: its pinned digest is gone from the registry, or it lost its required signature',
    extensions: {
      image: Type.String({ examples: ['node-20'] }),
      version: Type.String({ examples: ['1.4.2'] }),
      unavailableReason: Type.String({ examples: ['the registry answered 404 for sha256:4f1c… twice, at 09:00 and 09:01'] }),
      unavailableSince: Type.String({ format: 'date-time' }),
      servingVersion: Type.Union([Type.String(), Type.Null()], { description: 'What N.latest resolves to now', examples: ['1.4.1'] })
    }
  },

  SOAK_TIME_NOT_MET: {
    status: 409,
    description: 'The image requires a minimum time in testing and the version has not been testing that long',
    extensions: {
      version: Type.String(),
      minTestingTime: text('The image setting', ['24h']),
      testingSince: Type.String({ format: 'date-time' }),
      releasableAt: Type.String({ format: 'date-time', description: 'The first moment a release is possible' })
    }
  },
  APPROVER_NOT_ALLOWED: {
    status: 403,
    description: 'The token may not approve or reject this release (not an approver project, or it submitted or asked for the release)',
    extensions: {
      approverProjects: Type.Array(Type.String(), { description: "The image's approver projects" }),
      reason: text('Why not')
    }
  },
  ALREADY_APPROVED: {
    status: 409,
    description: 'The token already approved this release: a second approval must come from another token',
    extensions: { approvedAt: Type.String({ format: 'date-time' }) }
  },
  INVALID_ROLLOUT_PLAN: {
    status: 400,
    description: 'The rollout plan cannot be carried out as written',
    extensions: { hint: text('What to change') }
  },
  ROLLOUT_NOT_FOUND: { status: 404, description: 'The version has no rollout (it was released without a plan, or not released)' },
  ROLLOUT_STATE_CONFLICT: {
    status: 409,
    description: "The rollout's state does not allow the action",
    extensions: {
      state: Type.String({ examples: ['paused'] }),
      stage: Type.Integer({ minimum: 0 }),
      allowedActions: Type.Array(Type.String(), { description: 'What can be done now', examples: [['advance', 'resume', 'abort']] })
    }
  },

  INVALID_VERSION_SPEC: {
    status: 400,
    description: 'The version spec is not one of the grammar',
    extensions: { spec: Type.String(), grammar: Type.Array(Type.String()) }
  },
  CONCURRENT_SUBMISSION: { status: 409, description: 'Another version was submitted at the same moment' },
  REFERENCE_ALREADY_RELEASED: {
    status: 409,
    description: 'This registry/repository:tag is already released for the image',
    extensions: { releasedVersion: Type.Optional(Type.String()) }
  },
  RELEASE_TYPE_REQUIRED: { status: 422, description: 'The image has versions: releaseType is needed', extensions: { lines: majorLines } },
  MAJOR_WITH_LINE: { status: 400, description: 'A major release cannot target a line' },
  LINE_NOT_FOUND: { status: 422, description: 'The line has no version to bump', extensions: { lines: majorLines } },
  DOCKERFILE_TOO_LARGE: { status: 400, description: 'dockerfile is over its byte limit' },
  RELEASE_NOTES_TOO_LARGE: { status: 400, description: 'releaseNotes is over its byte limit' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, description: 'The Idempotency-Key was used with another body' },

  // Webhooks
  WEBHOOK_NOT_FOUND: { status: 404, description: 'No webhook subscription with this id is visible to the token' },
  WEBHOOK_DELIVERY_NOT_FOUND: { status: 404, description: 'The subscription has no delivery with this id' },
  WEBHOOK_URL_REFUSED: {
    status: 400,
    description: 'The receiver URL is not one the service delivers to',
    extensions: {
      reason: text('Why', ['plain http is allowed only to hosts listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS, not hooks.example.com'])
    }
  },
  WEBHOOK_EVENTS_MIXED: { status: 400, description: 'events lists "*" beside other types' },
  WEBHOOK_PROJECT_REQUIRED: {
    status: 400,
    description: 'project was omitted and the token acts for more than one project (or all of them)',
    extensions: {
      projects: Type.Union([Type.Array(Type.String()), Type.Null()], { description: "The token's projects; null = every project" })
    }
  },
  IMAGE_NOT_IN_WEBHOOK_PROJECT: {
    status: 422,
    description: "A listed image belongs to another project than the subscription's",
    extensions: { image: Type.String(), ownerProject: Type.String(), project: Type.String() }
  },
  WEBHOOK_DISABLED: { status: 409, description: 'The subscription is disabled: re-enable it (PATCH status active) first' },
  WEBHOOK_DELIVERY_IN_PROGRESS: { status: 409, description: 'An attempt of this delivery is being made right now' }
} as const satisfies Record<string, ProblemDefinition>

export type ProblemCode = keyof typeof PROBLEM_CODES
/** The codes whose problems carry no members of their own. */
export type PlainProblemCode = { [C in ProblemCode]: (typeof PROBLEM_CODES)[C] extends { extensions: object } ? never : C }[ProblemCode]
export const PROBLEM_CODE_LIST = Object.keys(PROBLEM_CODES) as ProblemCode[]

type ExtensionsOf<C extends ProblemCode> = (typeof PROBLEM_CODES)[C] extends { extensions: infer E extends TProperties }
  ? Static<TObject<E>>
  : Record<string, never>

/** The extension members a problem of this code may carry. */
export type ProblemExtensions<C extends ProblemCode> = ExtensionsOf<C>

export const problemExtensions = (code: ProblemCode): TProperties =>
  (PROBLEM_CODES[code] as ProblemDefinition).extensions ?? ({} as Record<string, TSchema>)
export const problemStatus = (code: ProblemCode): ProblemDefinition['status'] => PROBLEM_CODES[code].status
export const problemDescription = (code: ProblemCode): string => PROBLEM_CODES[code].description
