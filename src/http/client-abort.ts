import type { FastifyRequest } from 'fastify'

/**
 * Node fails the request stream with "aborted" (an ECONNRESET) when the connection closes before
 * the body has arrived: the client went away, or a time limit closed it. Neither is a failure of
 * this service, nor the database's (whose lost connections are ECONNRESET too).
 */
export function isClientAbort(error: Error, request: FastifyRequest): boolean {
  if (!request.raw.destroyed) return false
  return request.raw.errored === error || ((error as NodeJS.ErrnoException).code === 'ECONNRESET' && error.message === 'aborted')
}

export function abortReason(request: FastifyRequest): string {
  return (request.raw.socket?.errored as NodeJS.ErrnoException | null)?.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? 'the request timed out before it was complete'
    : 'client aborted the request'
}
