import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ProblemError, problemType, titleFor, type Problem, type PlainProblemCode } from './problem.js'
import { isDatabaseUnavailable } from '../db/unavailable.js'
import { abortReason, isClientAbort } from './client-abort.js'

interface ValidationIssue {
  instancePath: string
  message?: string
  params: Record<string, unknown>
}

// Turns every error into an RFC 9457 problem. Client errors explain themselves; server errors are
// logged in full and answered with a generic text, so no stack trace or SQL ever leaves the process.
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ProblemError): FastifyReply {
  for (const [name, value] of Object.entries(problem.headers)) reply.header(name, value)
  return reply
    .code(problem.status)
    .type('application/problem+json')
    .send(problemBody(problem, request.url.split('?')[0] ?? request.url, request.id))
}

/** The RFC 9457 document of a problem; `instance` is the request path when one is known. */
export function problemBody(problem: ProblemError, instance: string, requestId: string): Problem
export function problemBody(
  problem: ProblemError,
  instance: string | undefined,
  requestId: string
): Omit<Problem, 'instance'> & { instance?: string }
export function problemBody(
  problem: ProblemError,
  instance: string | undefined,
  requestId: string
): Omit<Problem, 'instance'> & { instance?: string } {
  return {
    type: problemType(problem.code),
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    ...(instance !== undefined ? { instance } : {}),
    code: problem.code,
    requestId,
    ...problem.extensions
  }
}

export function toProblem(error: FastifyError | ProblemError | Error): ProblemError {
  if (error instanceof ProblemError) return error
  const fe = error as FastifyError & { validation?: ValidationIssue[]; validationContext?: string }
  if (fe.validation) return validationProblem(fe.validation, fe.validationContext ?? 'body')
  if (isDatabaseUnavailable(error)) {
    return new ProblemError({
      status: 503,
      code: 'DATABASE_UNAVAILABLE',
      detail: 'The database is unreachable; nothing was changed. Retry after the time in Retry-After.',
      headers: { 'retry-after': '5' }
    })
  }
  const known = FASTIFY_CODES[fe.code ?? '']
  if (known) return new ProblemError({ ...known, detail: known.detail ?? fe.message })
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    // One documented code for the framework's other refusals: the contract lists every code.
    return new ProblemError({ status: fe.statusCode, code: 'CLIENT_ERROR', detail: fe.message })
  }
  return new ProblemError({
    status: 500,
    code: 'INTERNAL_ERROR',
    detail: 'An unexpected error occurred; it has been logged. Quote the requestId when reporting it.'
  })
}

const FASTIFY_CODES: Record<string, { status: number; code: PlainProblemCode; detail?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: {
    status: 413,
    code: 'BODY_TOO_LARGE',
    detail: 'The request body is larger than this service accepts; send a smaller body.'
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'Send the body as JSON with Content-Type: application/json.'
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'INVALID_CONTENT_LENGTH' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_BAD_URL: {
    status: 400,
    code: 'MALFORMED_URL',
    detail: 'The URL is not valid: a percent-encoded sequence in its path is incomplete or not UTF-8.'
  },
  FST_ERR_MAX_PARAM_LENGTH: {
    status: 414,
    code: 'PATH_PARAMETER_TOO_LONG',
    detail: 'A path parameter is longer than 100 characters; no code, id or version is that long.'
  }
}

export function validationProblem(issues: ValidationIssue[], where: string): ProblemError {
  const errors = issues.map((issue) => {
    const extra = issue.params.additionalProperty
    const path = `${where}${issue.instancePath.replaceAll('/', '.')}${extra ? `.${String(extra)}` : ''}`
    const message = extra ? 'is not a known property; remove it' : (issue.message ?? 'is invalid')
    return { path, message }
  })
  const summary = errors.map((e) => `${e.path} ${e.message}`).join('; ')
  return new ProblemError({ status: 400, code: 'VALIDATION_FAILED', detail: `The request is invalid: ${summary}.`, extensions: { errors } })
}

export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Asked before the database classifier, which would read the client's ECONNRESET as an outage.
    // Nobody reads the answer; it is sent only so the request ends like any other.
    if (isClientAbort(error, request)) {
      request.log.info({ code: 'CLIENT_ABORTED' }, abortReason(request))
      return sendProblem(
        request,
        reply,
        new ProblemError({ status: 400, code: 'CLIENT_ABORTED', detail: 'The connection closed before the request was complete.' })
      )
    }
    const problem = toProblem(error)
    // A 5xx the service answers on purpose (not ready while draining) is a state, not a fault:
    // no stack trace, which would set off alerts on every probe of a replica shutting down.
    if (problem.status >= 500 && !(error instanceof ProblemError)) request.log.error({ err: error }, 'request failed')
    else if (problem.status >= 500) request.log.warn({ code: problem.code, status: problem.status }, problem.message)
    else request.log.info({ code: problem.code, status: problem.status }, problem.message)
    return sendProblem(request, reply, problem)
  })
}

export { titleFor }
