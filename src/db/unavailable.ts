// Errors that mean "the database cannot be reached right now", as opposed to a bad query:
// connection refused/reset/timed out, the server shutting down, or pg's own connect timeout.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN'])
const SQLSTATE_CLASSES = ['08', '57P']

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  // Node's HTTP server fails a request stream with an ECONNRESET "aborted" when its client goes
  // away: the client's connection, not the database's.
  if (code === 'ECONNRESET' && error.message === 'aborted') return false
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true
    if (SQLSTATE_CLASSES.some((prefix) => code.startsWith(prefix))) return true
  }
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable)
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/i.test(
    error.message
  )
}
