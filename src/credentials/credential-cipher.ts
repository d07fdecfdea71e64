import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import type { CredentialKey, CredentialKeyRing } from './credentials-key.js'

// AES-256-GCM with a fresh 96-bit IV per encryption. The credential id is the additional
// authenticated data: a ciphertext copied onto another row fails to open instead of lending that
// row someone else's password. Stored layout: iv (12) || tag (16) || ciphertext.
const ALGORITHM = 'aes-256-gcm'
const IV_BYTES = 12
const TAG_BYTES = 16

export interface SealedSecret {
  ciphertext: Buffer
  keyId: string
}

/** Why a stored secret cannot be opened; the message never contains secret material. */
export class CredentialDecryptError extends Error {
  constructor(
    readonly credentialId: string,
    readonly keyId: string,
    reason: 'unknown-key' | 'corrupt'
  ) {
    super(
      reason === 'unknown-key'
        ? `Credential ${credentialId} is encrypted with key ${keyId}, which is neither CREDENTIALS_KEY nor in CREDENTIALS_OLD_KEYS; add that key to CREDENTIALS_OLD_KEYS.`
        : `Credential ${credentialId} could not be decrypted with key ${keyId}: the ciphertext was altered or moved from another row.`
    )
    this.name = 'CredentialDecryptError'
  }
}

export function sealWith(key: CredentialKey, credentialId: string, plaintext: string): SealedSecret {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv(ALGORITHM, key.key, iv, { authTagLength: TAG_BYTES })
  cipher.setAAD(Buffer.from(credentialId, 'utf8'))
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()])
  return { ciphertext: Buffer.concat([iv, cipher.getAuthTag(), body]), keyId: key.id }
}

export function openWith(key: CredentialKey, credentialId: string, ciphertext: Buffer): string {
  if (ciphertext.length < IV_BYTES + TAG_BYTES) throw new CredentialDecryptError(credentialId, key.id, 'corrupt')
  const decipher = createDecipheriv(ALGORITHM, key.key, ciphertext.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES })
  decipher.setAAD(Buffer.from(credentialId, 'utf8'))
  decipher.setAuthTag(ciphertext.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
  try {
    return Buffer.concat([decipher.update(ciphertext.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8')
  } catch {
    throw new CredentialDecryptError(credentialId, key.id, 'corrupt')
  }
}

/** Seals with the current key; opens with whichever key of the ring the ciphertext names. */
export class CredentialCipher {
  constructor(readonly keys: CredentialKeyRing) {}

  get currentKeyId(): string {
    return this.keys.current.id
  }

  seal(credentialId: string, plaintext: string): SealedSecret {
    return sealWith(this.keys.current, credentialId, plaintext)
  }

  open(credentialId: string, sealed: SealedSecret): string {
    const key = this.keys.byId.get(sealed.keyId)
    if (!key) throw new CredentialDecryptError(credentialId, sealed.keyId, 'unknown-key')
    return openWith(key, credentialId, sealed.ciphertext)
  }
}
