// Turns whatever stopped a check into an outcome an operator can act on. Classification follows the
// status code, never the body: a 4xx body may be any format, and some registries answer 404 in HTML.
import { RefusedHostError } from './ssrf-guard.js'
import { BodyTooLargeError, PlainHttpRefusedError, RequestFailedError, TooManyRedirectsError, headerValue } from './http-transport.js'
import { CredentialWithheldError, TokenResponseError, UnexpectedStatusError } from './registry-auth.js'
import { InvalidManifestError } from './manifest.js'
import { failure, type FailedOutcome } from './outcome.js'
import { parseRetryAfter } from './retry-after.js'
import { networkProblem } from './network-errors.js'

export interface FailureContext {
  /** `registry/repository:tag` as the operator knows it. */
  image: string
  /** The registry API host. */
  host: string
  /** Only the username: reasons never carry a password or a token. */
  username: string | undefined
  totalTimeoutMs: number
  maxBodyBytes: number
}

function denied(ctx: FailureContext, status: number, host: string): FailedOutcome {
  // Docker Hub, GHCR and Quay answer 401 for missing repositories too, so we cannot tell which.
  return failure(
    'unauthorized',
    ctx.username === undefined
      ? `${host} refused anonymous access to ${ctx.image} (HTTP ${status}): it does not exist or is private; check the name or attach a credential with pull access.`
      : `${host} refused access to ${ctx.image} for user "${ctx.username}" (HTTP ${status}): it does not exist or the credential has no pull access; check the name and the credential's rights.`
  )
}

function fromStatus(error: UnexpectedStatusError, ctx: FailureContext): FailedOutcome {
  const { status, headers, url } = error.response
  const host = url.host
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headerValue(headers, 'retry-after'))
    const when = retryAfterMs === undefined ? 'later' : `in ${Math.ceil(retryAfterMs / 1000)} s`
    const raise = ctx.username === undefined ? ' or attach a credential to raise the limit' : ''
    return failure('rate_limited', `${host} rate-limited the check of ${ctx.image} (HTTP 429); retry ${when}${raise}.`, retryAfterMs)
  }
  if (status >= 500) {
    return failure(
      'unavailable',
      `${host} answered HTTP ${status} while checking ${ctx.image}; retry later and check the registry's health.`
    )
  }
  if (error.phase === 'token' && (status === 401 || status === 403)) {
    return failure(
      'unauthorized',
      ctx.username === undefined
        ? `the token service at ${host} refused anonymous access for ${ctx.image} (HTTP ${status}); attach a credential with pull access.`
        : `the token service at ${host} rejected the credential of user "${ctx.username}" (HTTP ${status}) for ${ctx.image}; update the credential's password or token.`
    )
  }
  if (status === 401 || status === 403) return denied(ctx, status, host)
  if (error.phase === 'ping' || error.phase === 'token') {
    return failure(
      'unavailable',
      `${host} does not behave like a registry v2 API (HTTP ${status} from ${url.pathname}) while checking ${ctx.image}; check the registry host.`
    )
  }
  if (status === 404) {
    return error.phase === 'config'
      ? failure('not_found', `the image config blob of ${ctx.image} is missing from ${host}; re-push the image.`)
      : failure(
          'not_found',
          `${ctx.image} was not found on ${host}: no such repository or tag; check the name and that the tag was pushed.`
        )
  }
  return failure('invalid', `${host} rejected the ${error.phase} request for ${ctx.image} with HTTP ${status}; check the reference.`)
}

export function classifyFailure(error: unknown, ctx: FailureContext): FailedOutcome {
  if (error instanceof CredentialWithheldError) {
    const bound = error.registries.join(', ') || 'no host'
    return failure(
      'unauthorized',
      `${error.host} refused anonymous access while checking ${ctx.image}: the credential of user "${ctx.username ?? ''}" was not sent there because ${error.host} is not among its registries (${bound}); if that host (e.g. the registry's token service) is trusted with it, add "${error.host}" to the credential's registries with PATCH.`
    )
  }
  if (error instanceof UnexpectedStatusError) return fromStatus(error, ctx)
  if (error instanceof InvalidManifestError) {
    return failure('invalid', `${ctx.image} cannot be pulled: ${error.problem}; re-push it as an OCI or Docker schema 2 image.`)
  }
  if (error instanceof BodyTooLargeError) {
    return failure(
      'invalid',
      `a response from ${error.host} for ${ctx.image} exceeds the ${ctx.maxBodyBytes}-byte limit this service accepts for a manifest or config; an image whose manifest is that large is not one it can vouch for.`
    )
  }
  if (error instanceof PlainHttpRefusedError) {
    return failure(
      'refused',
      `refusing plain http to ${error.host} while checking ${ctx.image}; serve it over https or add "${error.host}" to REGISTRY_INSECURE_HOSTS.`
    )
  }
  if (error instanceof TooManyRedirectsError) {
    return failure(
      'unavailable',
      `${error.host} redirected more than ${error.limit} times while checking ${ctx.image}; check the registry's configuration.`
    )
  }
  if (error instanceof TokenResponseError) {
    return failure(
      'unavailable',
      `the ${error.message} while checking ${ctx.image}; retry later and check the registry's auth configuration.`
    )
  }
  const host = error instanceof RequestFailedError ? error.host : ctx.host
  const cause = error instanceof RequestFailedError ? error.cause : error
  const refused = findRefusal(cause)
  if (refused !== undefined) {
    // The request's host:port is the narrowest allow-list entry that would let this through.
    return failure(
      'refused',
      `refusing to contact ${host} while checking ${ctx.image}: ${refused.detail}; add "${host}" to REGISTRY_ALLOWED_PRIVATE_HOSTS only if this registry is trusted.`
    )
  }
  return failure(
    'unavailable',
    `${networkProblem(cause, host, ctx.totalTimeoutMs)} while checking ${ctx.image}; retry later, and check the host and that the registry is running.`
  )
}

function findRefusal(error: unknown): RefusedHostError | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    if (current instanceof RefusedHostError) return current
    if (current instanceof AggregateError) {
      const inner = current.errors.find((e): e is RefusedHostError => e instanceof RefusedHostError)
      if (inner !== undefined) return inner
    }
  }
  return undefined
}
