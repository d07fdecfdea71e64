import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { ConfigError, loadConfig } from '../../src/config.js'
import { buildApp } from '../../src/app.js'
import { openDatabase } from '../../src/db/database.js'
import { KEY_FILE_NAME, loadCredentialKeys, parseCredentialKey } from '../../src/credentials/credentials-key.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import { KEY_A_HEX, KEY_A_ID, KEY_B_BASE64, KEY_B_ID } from './keys.js'

const tempDir = (t: Test) => {
  const dir = mkdtempSync(join(tmpdir(), 'cis-key-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('embedded database without a key: one is generated once, owner-only, then reused', async (t) => {
  const dataDir = join(tempDir(t), 'data')
  const first = loadCredentialKeys({ databaseKind: 'embedded', dataDir })
  const path = join(dataDir, KEY_FILE_NAME)
  t.same(first.keyFile, { path, generated: true })
  t.equal(statSync(path).mode & 0o777, 0o600, 'mode 0600')
  t.equal(first.keys.current.id, parseCredentialKey(readFileSync(path, 'utf8'), 'file').id)
  const second = loadCredentialKeys({ databaseKind: 'embedded', dataDir })
  t.same(second.keyFile, { path, generated: false })
  t.equal(second.keys.current.id, first.keys.current.id, 'the same key on the next start')
})

t.test('CREDENTIALS_KEY wins on the embedded database; an earlier generated key still opens old rows', async (t) => {
  const dataDir = tempDir(t)
  const generated = loadCredentialKeys({ databaseKind: 'embedded', dataDir }).keys.current
  const loaded = loadCredentialKeys({ databaseKind: 'embedded', dataDir, key: KEY_B_BASE64 })
  t.equal(loaded.keys.current.id, KEY_B_ID)
  t.same([...loaded.keys.byId.keys()].sort(), [KEY_B_ID, generated.id].sort())
  t.equal(loaded.keyFile, undefined)
})

t.test('PostgreSQL without CREDENTIALS_KEY refuses with one line naming the variable', async (t) => {
  const error = t.throws(() => loadCredentialKeys({ databaseKind: 'postgres', dataDir: tempDir(t) })) as Error
  t.ok(error instanceof ConfigError)
  t.match(error.message, /^Invalid configuration: CREDENTIALS_KEY is required with DATABASE_URL/)
  t.notOk(error.message.includes('\n'), 'one line')
})

t.test('CREDENTIALS_OLD_KEYS: comma-separated, decrypt-only; a bad entry is named by position', async (t) => {
  const dataDir = tempDir(t)
  const loaded = loadCredentialKeys({ databaseKind: 'postgres', dataDir, key: KEY_B_BASE64, oldKeys: ` ${KEY_A_HEX} ,` })
  t.equal(loaded.keys.current.id, KEY_B_ID)
  t.same([...loaded.keys.byId.keys()].sort(), [KEY_A_ID, KEY_B_ID].sort())
  t.throws(() => loadCredentialKeys({ databaseKind: 'postgres', dataDir, key: KEY_B_BASE64, oldKeys: `${KEY_A_HEX},short` }), {
    message: /^Invalid configuration: CREDENTIALS_OLD_KEYS \(entry 2\) must be 32 bytes/
  })
})

t.test('a damaged key file is reported with its path, not replaced', async (t) => {
  const dataDir = tempDir(t)
  writeFileSync(join(dataDir, KEY_FILE_NAME), 'not a key\n', { mode: 0o600 })
  t.throws(() => loadCredentialKeys({ databaseKind: 'embedded', dataDir }), { message: new RegExp(`${KEY_FILE_NAME} must be 32 bytes`) })
  t.equal(readFileSync(join(dataDir, KEY_FILE_NAME), 'utf8'), 'not a key\n')
})

t.test('the app refuses to start on PostgreSQL without a key, and with a malformed key', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t)
  for (const [env, message] of [
    [{}, /CREDENTIALS_KEY is required with DATABASE_URL/],
    [
      { CREDENTIALS_KEY: 'too-short' },
      /CREDENTIALS_KEY must be 32 bytes written as base64 \(44 characters\) or as 64 hex characters, got 9 characters/
    ]
  ] as const) {
    const handle = openDatabase({ databaseUrl, dataDir: tempDir(t), poolMax: 2 })
    t.teardown(() => handle.close())
    const config = loadConfig({
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      ADMIN_TOKEN: 'cis_test-admin-token-0123456789abcdefghijklmnop',
      ...env
    })
    await t.rejects(buildApp({ config, database: handle }), { message })
  }
})
