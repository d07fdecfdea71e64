// Keyed signatures (cosign's simple signing): pure parsing and judging; the registry client fetches.
export { parseSignatureKey, keyFingerprint, InvalidSignatureKeyError, ACCEPTED_KEYS_HINT } from './signature-key.js'
