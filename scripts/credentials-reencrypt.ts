// `npm run credentials:reencrypt`: the last step of a key rotation. With the new key in
// CREDENTIALS_KEY and the previous ones in CREDENTIALS_OLD_KEYS, re-seals every stored registry
// credential and every webhook signing secret (both sealed with that key ring) with the new key;
// afterwards the old keys can be removed. Safe to run while the service runs (on PostgreSQL), and to
// rerun. Exits 1 if some secret could not be decrypted.
import { ConfigError, loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { CredentialCipher } from '../src/credentials/credential-cipher.js'
import { loadCredentialKeys } from '../src/credentials/credentials-key.js'
import { reencryptCredentials } from '../src/credentials/credentials-reencrypt.js'
import { reencryptWebhookSecrets } from '../src/webhooks/secrets-reencrypt.js'

function explain(error: unknown): string {
  if (error instanceof ConfigError) return error.message
  if ((error as { code?: string }).code === '42P01') {
    return 're-encryption failed: the database has no credentials or webhooks table yet; run `npm run migrate` (or start the service once) first.'
  }
  return `re-encryption failed: ${(error as Error).message}`
}

let exitCode = 0
try {
  const config = loadConfig()
  const handle = openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 2 })
  try {
    const { keys } = loadCredentialKeys({
      key: config.CREDENTIALS_KEY,
      oldKeys: config.CREDENTIALS_OLD_KEYS,
      databaseKind: handle.kind,
      dataDir: config.DATA_DIR
    })
    const cipher = new CredentialCipher(keys)
    const credentials = await reencryptCredentials(handle.db, cipher)
    const webhooks = await reencryptWebhookSecrets(handle.db, cipher)
    process.stdout.write(
      `re-encrypted ${credentials.reencrypted} credential(s) and ${webhooks.reencrypted} webhook secret(s) with key ${keys.current.id}\n`
    )
    for (const failure of [...credentials.failed, ...webhooks.failed]) process.stderr.write(`${failure.reason}\n`)
    if (credentials.failed.length > 0) {
      process.stderr.write(`${credentials.failed.length} credential(s) left on their old key; fix CREDENTIALS_OLD_KEYS and run again.\n`)
    }
    if (webhooks.failed.length > 0) {
      const subscriptions = new Set(webhooks.failed.map((f) => f.subscriptionId)).size
      process.stderr.write(
        `${webhooks.failed.length} webhook secret(s) of ${subscriptions} subscription(s) left on their old key; fix CREDENTIALS_OLD_KEYS and run again.\n`
      )
    }
    if (credentials.failed.length > 0 || webhooks.failed.length > 0) exitCode = 1
  } finally {
    await handle.close()
  }
} catch (error) {
  process.stderr.write(`${explain(error)}\n`)
  exitCode = 1
}
// Set last: closing the embedded database resets process.exitCode.
process.exitCode = exitCode
