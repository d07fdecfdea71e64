import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * Fastify writes "incoming request" before any hook runs, so before the request's span exists.
 * With tracing, that line waits for the span, so it carries the trace like every later line. A
 * request that gets no span still gets the line: at once when Fastify refuses it before routing
 * (no hook will run; Fastify gives such a request no params), otherwise just before the line
 * saying it completed (a path not traced).
 */
export class TracedLogController extends LogController {
  private readonly waiting = new WeakMap<FastifyRequest, FastifyReply>()

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (request.params === null) super.incomingRequest(request, reply)
    else this.waiting.set(request, reply)
  }

  /** The request's span has started and its logger carries the trace. */
  spanStarted(request: FastifyRequest): void {
    this.writeIncoming(request)
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    this.writeIncoming(request)
    super.requestCompleted(error, request, reply)
  }

  private writeIncoming(request: FastifyRequest): void {
    const reply = this.waiting.get(request)
    if (reply === undefined) return
    this.waiting.delete(request)
    super.incomingRequest(request, reply)
  }
}
