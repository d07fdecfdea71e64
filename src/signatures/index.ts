// Keyed signatures (cosign's simple signing): pure parsing and judging; the registry client fetches.
export { parseSignatureKey, keyFingerprint, InvalidSignatureKeyError, ACCEPTED_KEYS_HINT } from './signature-key.js'
export { evaluateSignatures, shortDigest } from './evaluate-signatures.js'
export type { SignatureCandidate, SignatureLookup } from './evaluate-signatures.js'
export { readSimpleSigningPayload, SIMPLE_SIGNING_MEDIA_TYPE, COSIGN_SIGNATURE_TYPE } from './simple-signing.js'
export { signatureVerifies, decodeSignature } from './verify-signature.js'
export { readReferrers, readSignatureManifest, COSIGN_SIGNATURE_ARTIFACT_TYPE, SIGNATURE_ANNOTATION } from './signature-manifest.js'
export type { PayloadLayer } from './signature-manifest.js'
