// The public surface of the registry client; import from here rather than from the parts.
export { createRegistryClient } from './client.js'
export type {
  RegistryClient,
  RegistryClientOptions,
  RegistryClientLogger,
  VerifyPinnedRequest,
  VerificationOutcome,
  CheckPullabilityOptions
} from './client.js'
export type { PinnedFindings } from './verify-pinned.js'
export type { Credential, RegistryLogin } from './registry-auth.js'
export { basicAuthorization } from './registry-auth.js'
export {
  parseReference,
  buildReference,
  formatReference,
  formatPinned,
  InvalidReferenceError,
  normaliseRegistryHost,
  InvalidRegistryHostError,
  REPOSITORY_PATTERN,
  TAG_PATTERN,
  DIGEST_PATTERN,
  REGISTRY_HOST_PATTERN,
  DOCKER_HUB
} from './reference.js'
export type { ImageReference, ReferenceParts } from './reference.js'
export { isBoundRegistry, isBoundUrl, SINGLE_LABEL_HINT } from './registry-host.js'
export { failure, isTransient } from './outcome.js'
export type {
  PullabilityOutcome,
  PullableOutcome,
  FailedOutcome,
  FailureClass,
  Platform,
  SignatureKeyRef,
  SignatureFindings
} from './outcome.js'
export { parseWwwAuthenticate, findChallenge } from './www-authenticate.js'
export type { Challenge } from './www-authenticate.js'
export { createSsrfGuard, RefusedHostError } from './ssrf-guard.js'
export type { SsrfGuard, SsrfGuardOptions } from './ssrf-guard.js'
export { createTokenCache, tokenCacheKey } from './token-cache.js'
export type { TokenCache, TokenCacheOptions } from './token-cache.js'
export { MEDIA_TYPES, MANIFEST_ACCEPT } from './manifest.js'
export { parseRetryAfter } from './retry-after.js'
export { EXPECTED_SIGNATURE_LOOKUP_REQUESTS, signatureTag } from './signatures.js'
