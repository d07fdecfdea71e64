import type { FastifyReply, FastifyRequest } from 'fastify'
import { sendProblem } from './error-handler.js'
import { ProblemError } from './problem.js'

/** HTTP/1.1 requires a Host header (RFC 9112 §3.2); a request without one is refused and its connection closed. */
export function hostRequired(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  request.log.info({ code: 'HOST_REQUIRED', status: 400 }, 'request without Host')
  reply.header('connection', 'close')
  return sendProblem(
    request,
    reply,
    new ProblemError({
      status: 400,
      code: 'HOST_REQUIRED',
      detail: 'An HTTP/1.1 request needs a Host header; send the host name (and port) of this service in it.'
    })
  )
}
