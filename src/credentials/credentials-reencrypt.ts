import type { Database } from '../db/database.js'
import { CredentialDecryptError, type CredentialCipher } from './credential-cipher.js'
import { listCredentialIdsNotUnderKey, lockSealedCredential, replaceSealedSecret } from './credentials.repository.js'

export interface ReencryptResult {
  /** Credentials now sealed with the current key that were not before. */
  reencrypted: number
  /** Credentials whose key is not in the ring (or whose ciphertext does not open): left untouched. */
  failed: { id: string; keyId: string; reason: string }[]
}

/**
 * Moves every credential onto the current key (the last step of a key rotation). One short
 * transaction per row, with the row locked, so the service can keep running meanwhile and a rerun
 * after an interruption simply continues.
 */
export async function reencryptCredentials(db: Database, cipher: CredentialCipher, batchSize = 100): Promise<ReencryptResult> {
  const result: ReencryptResult = { reencrypted: 0, failed: [] }
  let after: string | undefined
  for (;;) {
    const ids = await listCredentialIdsNotUnderKey(db, cipher.currentKeyId, batchSize, after)
    if (ids.length === 0) return result
    for (const id of ids) {
      await db.transaction().execute(async (trx) => {
        const row = await lockSealedCredential(trx, id)
        // Gone, or rotated by a PATCH since the listing: nothing left to do for this row.
        if (!row || row.secretKeyId === cipher.currentKeyId) return
        try {
          const plaintext = cipher.open(row.id, { ciphertext: row.secretCiphertext, keyId: row.secretKeyId })
          const sealed = cipher.seal(row.id, plaintext)
          await replaceSealedSecret(trx, row.id, sealed.ciphertext, sealed.keyId)
          result.reencrypted++
        } catch (error) {
          if (!(error instanceof CredentialDecryptError)) throw error
          result.failed.push({ id: row.id, keyId: row.secretKeyId, reason: error.message })
        }
      })
    }
    after = ids.at(-1)
  }
}
