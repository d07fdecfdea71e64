// The registry client the service uses to prove an image pulls. One client per process: it owns the
// connection pool and the token cache; each check gets its own deadline.
import { Agent } from 'undici'
import { createGuardedConnector } from './guarded-connector.js'
import { createHostList } from './host-list.js'
import { createHttpTransport } from './http-transport.js'
import { classifyFailure } from './classify.js'
import { checkImage } from './pullability-check.js'
import { createSsrfGuard } from './ssrf-guard.js'
import { createTokenCache } from './token-cache.js'
import { formatReference, parseReference, InvalidReferenceError, type ImageReference } from './reference.js'
import { failure, type PullabilityOutcome } from './outcome.js'
import type { Credential } from './registry-auth.js'

export interface RegistryClientLogger {
  debug(details: object, message: string): void
  warn(details: object, message: string): void
}

export interface RegistryClientOptions {
  /** `host` or `host:port` spoken to over plain http (and allowed to receive credentials that way). */
  insecureHosts: string[]
  /** `host` or `host:port` allowed to resolve to loopback/private/link-local addresses. */
  allowedPrivateHosts: string[]
  connectTimeoutMs: number
  /** Deadline for a whole check, token requests and redirects included. */
  totalTimeoutMs: number
  /** Cap on any response body (manifest, config, token); larger answers are aborted mid-stream. */
  maxBodyBytes: number
  userAgent?: string
  logger?: RegistryClientLogger
}

export interface RegistryClient {
  /** `signal` cuts the check short (shutdown); the outcome is then a failure the caller should not record. */
  checkPullability(ref: ImageReference | string, credential?: Credential, signal?: AbortSignal): Promise<PullabilityOutcome>
  close(): Promise<void>
}

export function createRegistryClient(options: RegistryClientOptions): RegistryClient {
  const guard = createSsrfGuard({ allowedHosts: options.allowedPrivateHosts })
  const agent = new Agent({
    connect: createGuardedConnector(guard, options.connectTimeoutMs),
    headersTimeout: options.totalTimeoutMs,
    bodyTimeout: options.totalTimeoutMs
  })
  const insecureHosts = createHostList(options.insecureHosts)
  const transport = createHttpTransport({
    dispatcher: agent,
    insecureHosts,
    maxBodyBytes: options.maxBodyBytes,
    userAgent: options.userAgent ?? 'ci-image-store (pullability check)'
  })
  const tokenCache = createTokenCache()
  const { logger } = options

  return {
    async checkPullability(input, credential, signal) {
      let ref: ImageReference
      try {
        ref = typeof input === 'string' ? parseReference(input) : input
      } catch (error) {
        if (!(error instanceof InvalidReferenceError)) throw error
        return failure('invalid', `${error.message}; correct the image reference.`)
      }
      const image = formatReference(ref)
      try {
        const onDigestDisagreement = (head: string, body: string): void =>
          logger?.debug({ image, head, body }, 'HEAD and GET disagree on the manifest digest; recording the body digest')
        return await checkImage(
          { transport, tokenCache, insecureHosts, onDigestDisagreement },
          ref,
          credential,
          signal ? AbortSignal.any([signal, AbortSignal.timeout(options.totalTimeoutMs)]) : AbortSignal.timeout(options.totalTimeoutMs)
        )
      } catch (error) {
        const outcome = classifyFailure(error, {
          image,
          host: ref.apiHost,
          username: credential?.username,
          totalTimeoutMs: options.totalTimeoutMs,
          maxBodyBytes: options.maxBodyBytes
        })
        const details = { image, class: outcome.class, err: error instanceof Error ? error.name : typeof error }
        // A refusal may be someone probing internal addresses through image references.
        if (outcome.class === 'refused') logger?.warn({ ...details, reason: outcome.reason }, 'registry request refused')
        else logger?.debug(details, 'image is not pullable')
        return outcome
      }
    },
    async close() {
      await agent.close()
    }
  }
}
