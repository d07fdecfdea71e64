// `npm run credentials:reencrypt`: the last step of a key rotation. With the new key in
// CREDENTIALS_KEY and the previous ones in CREDENTIALS_OLD_KEYS, re-seals every stored registry
// credential with the new key; afterwards the old keys can be removed. Safe to run while the
// service runs (on PostgreSQL), and to rerun. Exits 1 if some credential could not be decrypted.
import { ConfigError, loadConfig } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { CredentialCipher } from '../src/credentials/credential-cipher.js'
import { loadCredentialKeys } from '../src/credentials/credentials-key.js'
import { reencryptCredentials } from '../src/credentials/credentials-reencrypt.js'

function explain(error: unknown): string {
  if (error instanceof ConfigError) return error.message
  if ((error as { code?: string }).code === '42P01') {
    return 're-encryption failed: the database has no credentials table yet; run `npm run migrate` (or start the service once) first.'
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
    const result = await reencryptCredentials(handle.db, new CredentialCipher(keys))
    process.stdout.write(`re-encrypted ${result.reencrypted} credential(s) with key ${keys.current.id}\n`)
    for (const failure of result.failed) process.stderr.write(`${failure.reason}\n`)
    if (result.failed.length > 0) {
      process.stderr.write(`${result.failed.length} credential(s) left on their old key; fix CREDENTIALS_OLD_KEYS and run again.\n`)
      exitCode = 1
    }
  } finally {
    await handle.close()
  }
} catch (error) {
  process.stderr.write(`${explain(error)}\n`)
  exitCode = 1
}
// Set last: closing the embedded database resets process.exitCode.
process.exitCode = exitCode
