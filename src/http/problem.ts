import { Type, type Static } from '@sinclair/typebox'
import { PROBLEM_CODE_LIST, type PlainProblemCode, type ProblemCode, type ProblemExtensions } from './problem-codes.js'

export type { PlainProblemCode, ProblemCode } from './problem-codes.js'

// RFC 9457 problem details. `type` is a stable URN per machine code: it identifies the problem
// without promising a page at that address.
export const PROBLEM_TYPE_PREFIX = 'urn:ci-image-store:problem:'

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'URN identifying the kind of problem', examples: [`${PROBLEM_TYPE_PREFIX}not-found`] }),
    title: Type.String({ description: 'Short summary of the kind of problem', examples: ['Not Found'] }),
    status: Type.Integer({ minimum: 400, maximum: 599, examples: [404] }),
    detail: Type.String({ description: 'What went wrong in this request and how to fix it', examples: ['No image with code "node-20".'] }),
    instance: Type.String({ description: 'The request path', examples: ['/v1/images/node-20'] }),
    code: Type.Unsafe<ProblemCode>({
      type: 'string',
      enum: PROBLEM_CODE_LIST,
      description: 'Stable machine-readable code',
      examples: ['IMAGE_NOT_FOUND']
    }),
    requestId: Type.String({
      description: 'Echo of X-Request-Id; quote it when reporting a problem',
      examples: ['6f1c2e0a-3b9d-4a43-9a55-0c5f4f1d2b7e']
    }),
    errors: Type.Optional(
      Type.Array(Type.Object({ path: Type.String(), message: Type.String() }, { additionalProperties: false }), {
        description: 'Each invalid field (validation problems only)'
      })
    )
  },
  {
    $id: 'Problem',
    title: 'Problem',
    description: 'RFC 9457 problem details; some problems add fields of their own (e.g. currentStatus, allowedActions).',
    additionalProperties: true
  }
)
export type Problem = Static<typeof ProblemSchema>

interface ProblemInitOf<C extends ProblemCode> {
  status: number
  code: C
  detail: string
  title?: string
  /** Extra members (RFC 9457 extensions) its code documents, e.g. the current status of a version. */
  extensions?: ProblemExtensions<C>
  headers?: Record<string, string>
}
export type ProblemInit = { [C in ProblemCode]: ProblemInitOf<C> }[ProblemCode] | ProblemInitOf<PlainProblemCode>

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable'
}

export const titleFor = (status: number): string => TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error')

/** An error that is meant to reach the client as a problem document; throw it from anywhere. */
export class ProblemError extends Error {
  readonly status: number
  readonly code: ProblemCode
  readonly title: string
  readonly extensions: Record<string, unknown>
  readonly headers: Record<string, string>

  constructor(init: ProblemInit) {
    super(init.detail)
    this.name = 'ProblemError'
    this.status = init.status
    this.code = init.code
    this.title = init.title ?? titleFor(init.status)
    this.extensions = init.extensions ?? {}
    this.headers = init.headers ?? {}
  }
}

type Shortcut = <C extends ProblemCode>(code: C, detail: string, extensions?: ProblemExtensions<C>) => ProblemError
const shortcut =
  (status: number): Shortcut =>
  (code, detail, extensions) =>
    new ProblemError({ status, code, detail, ...(extensions ? { extensions } : {}) } as ProblemInit)

export const badRequest = shortcut(400)
export const forbidden = shortcut(403)
export const notFound = shortcut(404)
export const conflict = shortcut(409)
export const gone = shortcut(410)
export const preconditionFailed = shortcut(412)
export const unprocessable = shortcut(422)

export const problemType = (code: ProblemCode): string => PROBLEM_TYPE_PREFIX + code.toLowerCase().replaceAll('_', '-')
