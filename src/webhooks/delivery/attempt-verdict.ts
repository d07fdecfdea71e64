// What one attempt's answer means for the delivery. Pure: the worker measures, this judges.

export type Verdict =
  | { outcome: 'succeeded' }
  /** The receiver says the endpoint is gone for good: the subscription is disabled. */
  | { outcome: 'gone'; error: string }
  | { outcome: 'retry'; error: string; retryAfterMs?: number }

export interface ReceiverAnswer {
  statusCode: number
  retryAfterMs?: number
  location?: string
}

/**
 * Any 2xx is success and 410 disables. Everything else is tried again on the schedule, client
 * errors included: a 401, 403 or 404 is usually a receiver deployed or configured wrongly for a
 * while, and giving up at once would lose the event; the schedule gives up in the end. Redirects
 * are not followed (signed events go only to the URL subscribed, not wherever a receiver points), so
 * a 3xx fails too.
 */
export function judgeAnswer(answer: ReceiverAnswer): Verdict {
  const { statusCode } = answer
  if (statusCode >= 200 && statusCode < 300) return { outcome: 'succeeded' }
  if (statusCode === 410) return { outcome: 'gone', error: 'the receiver answered 410 Gone' }
  const retryAfter = answer.retryAfterMs === undefined ? {} : { retryAfterMs: answer.retryAfterMs }
  if (statusCode >= 300 && statusCode < 400) {
    const where = answer.location ? ` to ${answer.location}` : ''
    return { outcome: 'retry', error: `the receiver answered ${statusCode}, a redirect${where}, which is not followed`, ...retryAfter }
  }
  return { outcome: 'retry', error: `the receiver answered ${statusCode}`, ...retryAfter }
}

/** The innermost error that says what happened: its code, and the error carrying it. */
function rootCause(error: unknown): { code: string | undefined; cause: unknown } {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return { code, cause: current }
    if (current.name === 'TimeoutError') return { code: 'TIMEOUT', cause: current }
    // Happy-eyeballs connects fail with an AggregateError of the per-address errors.
    current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] : current.cause
  }
  return { code: undefined, cause: error }
}

/** An attempt that got no answer: always tried again, with a reason an operator can act on. */
export function judgeFailure(error: unknown, host: string, timeoutMs: number): Verdict {
  const { code, cause } = rootCause(error)
  const because = (text: string): Verdict => ({ outcome: 'retry', error: text })
  switch (code) {
    case 'ERR_REGISTRY_HOST_REFUSED':
      return because(`${(cause as Error).message} (list the receiver in WEBHOOK_ALLOWED_PRIVATE_HOSTS if it is meant to be reached there)`)
    case 'ECONNREFUSED':
      return because(`could not connect to ${host} (connection refused)`)
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return because(`could not resolve ${host} (${code})`)
    case 'TIMEOUT':
    case 'ABORT_ERR':
    case 'UND_ERR_ABORTED':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return because(`${host} did not answer within ${timeoutMs} ms (WEBHOOK_TIMEOUT_MS)`)
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
      return because(`${host} closed the connection before answering`)
  }
  return because(`the request to ${host} failed (${code ?? (error instanceof Error ? error.message : String(error))})`)
}
