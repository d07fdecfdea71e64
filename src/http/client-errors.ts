import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ProblemError } from './problem.js'
import { problemBody, sendProblem, toProblem } from './error-handler.js'
import { REQUEST_ID_HEADER } from './request-id.js'

/**
 * Fastify's `frameworkErrors`: a URL the router cannot decode, or a path parameter over the length
 * limit, is refused before any route is chosen, so none of the app's hooks run for it.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem = toProblem(error)
  request.log.info({ code: problem.code, status: problem.status }, problem.message)
  reply.header(REQUEST_ID_HEADER, request.id)
  sendProblem(request, reply, problem)
}

function clientProblem(error: NodeJS.ErrnoException & { reason?: string }): ProblemError {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new ProblemError({
        status: 408,
        code: 'REQUEST_TIMEOUT',
        detail: 'The request headers or body did not arrive in time; the connection is closed. Send the whole request promptly.'
      })
    case 'HPE_HEADER_OVERFLOW':
      return new ProblemError({
        status: 431,
        code: 'HEADERS_TOO_LARGE',
        detail: 'The request headers are larger than this service accepts; send fewer or shorter headers.'
      })
    default: {
      // llhttp's reason ("Invalid header token") is a fixed text of the parser, never request data.
      const reason = typeof error.reason === 'string' ? ` (${error.reason.replace(/[^\x20-\x7e]/g, '')})` : ''
      return new ProblemError({
        status: 400,
        code: 'MALFORMED_REQUEST',
        detail: `The request is not valid HTTP/1.1${reason}; nothing was processed and the connection is closed.`
      })
    }
  }
}

/**
 * Fastify's `clientErrorHandler`: Node's HTTP parser refused the request (malformed, headers too
 * large) or a time limit ran out. There is no request object, so the problem is written to the
 * socket directly, with a request id of its own that the log line carries too.
 */
export function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // A request whose headers were read (a body that never finished) has a response waiting.
  const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage
  // The client reset or closed its side before its request was complete: nobody to answer. A
  // request the app had already begun is logged there, with its id (see isClientAbort).
  if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || socket.destroyed) {
    if (!response) this.log.debug({ reason: error.code }, 'client closed the connection mid-request')
    socket.destroy()
    return
  }
  const problem = clientProblem(error)
  const requestId = randomUUID()
  const url = response?.req?.url
  this.log.info({ requestId, code: problem.code, status: problem.status, reason: error.code }, problem.message)
  if (socket.writable && !response?.headersSent) {
    const body = JSON.stringify(problemBody(problem, url?.split('?')[0], requestId))
    socket.write(
      `HTTP/1.1 ${problem.status} ${problem.title}\r\n` +
        'Content-Type: application/problem+json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body
    )
  }
  socket.destroy(error)
}
