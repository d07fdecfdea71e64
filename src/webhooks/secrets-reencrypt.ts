import type { Database } from '../db/database.js'
import { CredentialDecryptError, type CredentialCipher, type SealedSecret } from '../credentials/credential-cipher.js'
import { currentSecretContext, previousSecretContext } from './signing-secret.js'
import {
  listSubscriptionIdsWithSecretsNotUnderKey,
  lockSubscription,
  replaceSealedSecrets,
  type SealedSecretColumns
} from './webhooks.repository.js'
import type { WebhookSubscriptionRow } from './webhooks.table.js'

export type SecretSlot = 'current' | 'previous'

export interface SecretsReencryptResult {
  /** Signing secrets (current and previous slots counted apart) now sealed with the current key that were not before. */
  reencrypted: number
  /** Secrets that did not open: their subscription is left untouched, both slots. */
  failed: { subscriptionId: string; slot: SecretSlot; keyId: string; reason: string }[]
}

type Failure = SecretsReencryptResult['failed'][number]

function explainFailure(cipher: CredentialCipher, subscriptionId: string, slot: SecretSlot, keyId: string): Failure {
  const reason = cipher.keys.byId.has(keyId)
    ? `Webhook subscription ${subscriptionId}: its ${slot} signing secret could not be decrypted with key ${keyId}: the ciphertext was altered or moved from another row.`
    : `Webhook subscription ${subscriptionId}: its ${slot} signing secret is encrypted with key ${keyId}, which is neither CREDENTIALS_KEY nor in CREDENTIALS_OLD_KEYS; add that key to CREDENTIALS_OLD_KEYS.`
  return { subscriptionId, slot, keyId, reason }
}

type Resealed = { kind: 'kept' } | { kind: 'resealed'; sealed: SealedSecret } | { kind: 'failed'; failure: Failure }

function reseal(cipher: CredentialCipher, row: WebhookSubscriptionRow, slot: SecretSlot, stored: SealedSecret): Resealed {
  if (stored.keyId === cipher.currentKeyId) return { kind: 'kept' }
  const context = slot === 'current' ? currentSecretContext(row.id) : previousSecretContext(row.id)
  try {
    return { kind: 'resealed', sealed: cipher.seal(context, cipher.open(context, stored)) }
  } catch (error) {
    if (!(error instanceof CredentialDecryptError)) throw error
    return { kind: 'failed', failure: explainFailure(cipher, row.id, slot, stored.keyId) }
  }
}

/** The new columns of a row, or its failures; `undefined` columns when nothing is to be written. */
function resealRow(
  cipher: CredentialCipher,
  row: WebhookSubscriptionRow,
  now: Date
): { set: SealedSecretColumns | undefined; resealed: number; failures: Failure[] } {
  const set: SealedSecretColumns = {}
  const failures: Failure[] = []
  let resealed = 0
  const current = reseal(cipher, row, 'current', { ciphertext: row.secretCiphertext, keyId: row.secretKeyId })
  if (current.kind === 'failed') failures.push(current.failure)
  if (current.kind === 'resealed') {
    Object.assign(set, { secretCiphertext: current.sealed.ciphertext, secretKeyId: current.sealed.keyId })
    resealed++
  }
  if (row.previousSecretCiphertext !== null && row.previousSecretKeyId !== null) {
    const graceOver = row.previousSecretExpiresAt === null || row.previousSecretExpiresAt.getTime() <= now.getTime()
    if (graceOver) {
      // It signs nothing any more: dropped rather than re-sealed, so no stale slot keeps an old key needed.
      Object.assign(set, { previousSecretCiphertext: null, previousSecretKeyId: null, previousSecretExpiresAt: null })
    } else {
      const previous = reseal(cipher, row, 'previous', { ciphertext: row.previousSecretCiphertext, keyId: row.previousSecretKeyId })
      if (previous.kind === 'failed') failures.push(previous.failure)
      if (previous.kind === 'resealed') {
        Object.assign(set, { previousSecretCiphertext: previous.sealed.ciphertext, previousSecretKeyId: previous.sealed.keyId })
        resealed++
      }
    }
  }
  if (failures.length > 0) return { set: undefined, resealed: 0, failures }
  return { set: Object.keys(set).length > 0 ? set : undefined, resealed, failures }
}

/**
 * Moves every webhook signing secret onto the current key, as reencryptCredentials does for
 * registry credentials: one short transaction per subscription with its row locked, so deliveries
 * and rotations go on meanwhile and a rerun after an interruption simply continues.
 */
export async function reencryptWebhookSecrets(
  db: Database,
  cipher: CredentialCipher,
  batchSize = 100,
  now = () => new Date()
): Promise<SecretsReencryptResult> {
  const result: SecretsReencryptResult = { reencrypted: 0, failed: [] }
  let after: string | undefined
  for (;;) {
    const ids = await listSubscriptionIdsWithSecretsNotUnderKey(db, cipher.currentKeyId, batchSize, after)
    if (ids.length === 0) return result
    for (const id of ids) {
      await db.transaction().execute(async (trx) => {
        // Gone since the listing: nothing left to do. Rotated meanwhile: the slots are judged as they are now.
        const row = await lockSubscription(trx, id)
        if (!row) return
        const { set, resealed, failures } = resealRow(cipher, row, now())
        result.failed.push(...failures)
        if (set === undefined) return
        await replaceSealedSecrets(trx, id, set)
        result.reencrypted += resealed
      })
    }
    after = ids.at(-1)
  }
}
