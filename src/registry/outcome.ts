// The result of a pullability check. Failures are values, not exceptions, because every class is an
// expected answer from the outside world that the caller stores and shows to an operator.
import type { SignatureFindings } from '../signatures/signature-types.js'

export interface Platform {
  os: string
  architecture: string
  variant?: string
}

export type { SignatureFindings, SignatureKeyRef } from '../signatures/signature-types.js'

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
