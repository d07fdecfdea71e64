// The registry client the service uses to prove an image pulls. One client per process: it owns the
// connection pool and the token cache; each check gets its own deadline.
import { Agent } from 'undici'
import { createGuardedConnector } from './guarded-connector.js'
import { createHostList } from './host-list.js'
import { createHttpTransport } from './http-transport.js'
import { classifyFailure } from './classify.js'
import { checkImage } from './pullability-check.js'
import { countingTransport, verifyPinned, type PinnedFindings } from './verify-pinned.js'
import { createSsrfGuard } from './ssrf-guard.js'
import { createTokenCache } from './token-cache.js'
import { formatReference, parseReference, InvalidReferenceError, type ImageReference } from './reference.js'
import { failure, type FailedOutcome, type PullabilityOutcome, type SignatureKeyRef } from './outcome.js'
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
  checkPullability(
    ref: ImageReference | string,
    credential?: Credential,
    signal?: AbortSignal,
    options?: CheckPullabilityOptions
  ): Promise<PullabilityOutcome>
  /**
   * HEADs the tag and the pinned digest of a released or testing version (re-verification). Never a
   * GET of a manifest, so it never counts as a pull. `requests` says how many requests it sent.
   */
  verifyPinned(request: VerifyPinnedRequest): Promise<VerificationOutcome>
  close(): Promise<void>
}

export interface CheckPullabilityOptions {
  /** When non-empty, the pinned digest's signatures are looked up and judged against these keys. */
  signatureKeys?: readonly SignatureKeyRef[] | undefined
}

export interface VerifyPinnedRequest {
  /** The version's registry/repository:tag. */
  reference: ImageReference | string
  /** The pinned digest. */
  digest: string
  credential?: Credential | undefined
  signal?: AbortSignal | undefined
  /** When non-empty and the digest is present, its signatures are looked up and judged against these keys. */
  signatureKeys?: readonly SignatureKeyRef[] | undefined
}

export type VerificationOutcome = (PinnedFindings | FailedOutcome) & { requests: number }

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
    async checkPullability(input, credential, signal, checkOptions) {
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
          signal ? AbortSignal.any([signal, AbortSignal.timeout(options.totalTimeoutMs)]) : AbortSignal.timeout(options.totalTimeoutMs),
          checkOptions?.signatureKeys
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
    async verifyPinned(request) {
      let ref: ImageReference
      try {
        ref = typeof request.reference === 'string' ? parseReference(request.reference) : request.reference
      } catch (error) {
        if (!(error instanceof InvalidReferenceError)) throw error
        return { ...failure('invalid', `${error.message}; correct the image reference.`), requests: 0 }
      }
      const counted = countingTransport(transport)
      const deadline = AbortSignal.timeout(options.totalTimeoutMs)
      try {
        const findings = await verifyPinned(
          { transport: counted.transport, tokenCache, insecureHosts },
          ref,
          request.digest,
          request.credential,
          request.signal ? AbortSignal.any([request.signal, deadline]) : deadline,
          request.signatureKeys
        )
        return { ...findings, requests: counted.sent() }
      } catch (error) {
        const outcome = classifyFailure(error, {
          image: formatReference(ref),
          host: ref.apiHost,
          username: request.credential?.username,
          totalTimeoutMs: options.totalTimeoutMs,
          maxBodyBytes: options.maxBodyBytes
        })
        if (outcome.class === 'refused') logger?.warn({ image: formatReference(ref), reason: outcome.reason }, 'registry request refused')
        return { ...outcome, requests: counted.sent() }
      }
    },
    async close() {
      await agent.close()
    }
  }
}
