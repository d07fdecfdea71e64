// What the registry client and the service exchange about keyed signatures; no I/O here.

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
