// Network failures are all "unavailable" (transient), but an operator fixes a DNS typo, a stopped
// registry and a private CA differently, so the reason names which one it was.

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO$|HOSTNAME_MISMATCH)/

function errorCode(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    if (current.name === 'TimeoutError') return 'TIMEOUT'
    // Happy-eyeballs connects fail with an AggregateError of the per-address errors.
    current = current instanceof AggregateError && current.errors.length > 0 ? current.errors[0] : current.cause
  }
  return undefined
}

/** A clause such as `could not resolve registry.example (ENOTFOUND)`. */
export function networkProblem(error: unknown, host: string, totalTimeoutMs: number): string {
  const code = errorCode(error)
  switch (code) {
    case 'ECONNREFUSED':
      return `could not connect to ${host} (connection refused)`
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return `could not resolve ${host} (${code})`
    case 'TIMEOUT':
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_ABORTED':
      return `${host} did not answer within ${totalTimeoutMs} ms (REGISTRY_TIMEOUT_MS)`
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return `connecting to ${host} timed out`
    case 'ECONNRESET':
    case 'EPIPE':
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_SOCKET':
      return `${host} closed the connection unexpectedly`
  }
  if (code !== undefined && TLS_CODE.test(code)) {
    return `the TLS handshake with ${host} failed (${code}: if it serves plain http list it in REGISTRY_INSECURE_HOSTS; if it uses a private CA trust that CA)`
  }
  const message = error instanceof Error ? error.message : String(error)
  return `the request to ${host} failed (${code ?? message})`
}
