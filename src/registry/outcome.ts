// The result of a pullability check. Failures are values, not exceptions, because every class is an
// expected answer from the outside world that the caller stores and shows to an operator.

export interface Platform {
  os: string
  architecture: string
  variant?: string
}

/** A public key an image requires signatures by (cosign's keyed mode). */
export interface SignatureKeyRef {
  name: string
  algorithm: 'ecdsa-p256' | 'ed25519'
  /** PEM of the SubjectPublicKeyInfo. */
  publicKey: string
  /** `sha256:<hex of the SPKI DER>`. */
  fingerprint: string
}

/** What a signature lookup found for a pinned digest, judged against the image's keys. */
export interface SignatureFindings {
  /** The first of the image's keys with a valid signature over the pinned digest; null when none. */
  signedBy: { name: string; fingerprint: string } | null
  /** One sentence naming what was found, for the check's reason and the version's view. */
  summary: string
}

export interface PullableOutcome {
  ok: true
  /** Digest of the manifest (or index) the reference resolves to: what a job should pin. */
  digest: string
  /** Media type of that manifest, without parameters. */
  mediaType: string
  /** Runnable platforms; index entries for `unknown/unknown` (build attestations) are dropped. */
  platforms: Platform[]
  /**
   * Compressed size in bytes. For an image manifest: config + layers. For an index or manifest list:
   * the sum of its `manifests[].size`, i.e. of the child manifest documents themselves (the children
   * are not fetched, so their layers are not counted).
   */
  size: number
  /** Present when the check was asked to look for signatures (keys given). */
  signature?: SignatureFindings
}

export type FailureClass = 'not_found' | 'unauthorized' | 'rate_limited' | 'unavailable' | 'invalid' | 'refused'

export interface FailedOutcome {
  ok: false
  class: FailureClass
  /** One sentence for an operator: names the image and what to do. Never holds secrets. */
  reason: string
  /** Set for `rate_limited` when the registry said when to come back. */
  retryAfterMs?: number
}

export type PullabilityOutcome = PullableOutcome | FailedOutcome

/** Transient classes are worth an automatic retry later; the others need a person to act. */
export function isTransient(outcome: PullabilityOutcome): boolean {
  return !outcome.ok && (outcome.class === 'unavailable' || outcome.class === 'rate_limited')
}

export function failure(cls: FailureClass, reason: string, retryAfterMs?: number): FailedOutcome {
  const outcome: FailedOutcome = { ok: false, class: cls, reason }
  if (retryAfterMs !== undefined) outcome.retryAfterMs = retryAfterMs
  return outcome
}
