// Checking one detached signature against one key, as cosign's keyed mode signs: ECDSA P-256 over the
// SHA-256 of the payload with an ASN.1 DER signature, Ed25519 over the payload bytes themselves.
import { createPublicKey, verify } from 'node:crypto'
import type { SignatureKeyRef } from './signature-types.js'

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

export function decodeSignature(base64: string): Buffer | undefined {
  const compact = base64.replace(/\s/g, '')
  return BASE64.test(compact) && compact.length % 4 === 0 ? Buffer.from(compact, 'base64') : undefined
}

export function signatureVerifies(key: SignatureKeyRef, payload: Buffer, signature: Buffer): boolean {
  const publicKey = createPublicKey({ key: key.publicKey, format: 'pem' })
  try {
    return key.algorithm === 'ed25519'
      ? verify(null, payload, publicKey, signature)
      : verify('sha256', payload, { key: publicKey, dsaEncoding: 'der' }, signature)
  } catch {
    // A signature that is not even well-formed DER is simply not valid.
    return false
  }
}
