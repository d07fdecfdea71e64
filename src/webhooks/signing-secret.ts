import { randomBytes } from 'node:crypto'
import type { SecretSealer } from '../credentials/credentials.plugin.js'
import type { SealedSecret } from '../credentials/credential-cipher.js'
import type { WebhookSubscriptionRow } from './webhooks.table.js'

// Standard Webhooks: whsec_ + base64 of 24 to 64 random bytes; 32 bytes matches HMAC-SHA256's block strength.
const SECRET_PREFIX = 'whsec_'
const SECRET_BYTES = 32

export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64')
}

// Binding the subscription id (and which slot) into the sealing context stops a ciphertext copied to
// another row, or from the previous slot to the current one, from opening.
export const currentSecretContext = (subscriptionId: string): string => `webhook:${subscriptionId}`
export const previousSecretContext = (subscriptionId: string): string => `webhook-previous:${subscriptionId}`

export function sealSigningSecret(sealer: SecretSealer, subscriptionId: string, secret: string): SealedSecret {
  return sealer.seal(currentSecretContext(subscriptionId), secret)
}

export function sealPreviousSigningSecret(sealer: SecretSealer, subscriptionId: string, secret: string): SealedSecret {
  return sealer.seal(previousSecretContext(subscriptionId), secret)
}

type SecretColumns = Pick<
  WebhookSubscriptionRow,
  'id' | 'secretCiphertext' | 'secretKeyId' | 'previousSecretCiphertext' | 'previousSecretKeyId' | 'previousSecretExpiresAt'
>

/** The secrets that sign a message now: the current one first, then the previous one until its grace ends. */
export function openSigningSecrets(sealer: SecretSealer, row: SecretColumns, now: Date): string[] {
  const secrets = [sealer.open(currentSecretContext(row.id), { ciphertext: row.secretCiphertext, keyId: row.secretKeyId })]
  if (
    row.previousSecretCiphertext !== null &&
    row.previousSecretKeyId !== null &&
    row.previousSecretExpiresAt !== null &&
    row.previousSecretExpiresAt.getTime() > now.getTime()
  ) {
    secrets.push(sealer.open(previousSecretContext(row.id), { ciphertext: row.previousSecretCiphertext, keyId: row.previousSecretKeyId }))
  }
  return secrets
}
