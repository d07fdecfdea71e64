import t from 'tap'
import { build } from '../helpers/app.js'
import { reencryptCredentials } from '../../src/credentials/credentials-reencrypt.js'
import { CredentialCipher } from '../../src/credentials/credential-cipher.js'
import { loadCredentialKeys } from '../../src/credentials/credentials-key.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import type { Database } from '../../src/db/database.js'
import { KEY_A_HEX, KEY_A_ID, KEY_B_BASE64, KEY_B_ID } from './keys.js'

const BASE = '/v1/projects/payments-ci/credentials'
const LOGINS = [
  { name: 'harbor', username: 'robot$payments+ci', password: 'harbor-secret-1', registries: ['harbor.example.com'] },
  { name: 'ecr', username: 'AWS', password: 'ecr-token-2', registries: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com'] },
  { name: 'gcr', username: '_json_key', password: '{"type":"service_account"}', registries: ['gcr.io'] }
]

t.test('rotation: seal under A, read under B+old A, re-encrypt to B, read with B alone', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t)
  const keyIds = async (app: { db: Database }) =>
    (await app.db.selectFrom('registryCredentials').select('secretKeyId').orderBy('name').execute()).map((r) => r.secretKeyId)

  // 1. Everything sealed with key A.
  const underA = await build(t, { databaseUrl, env: { CREDENTIALS_KEY: KEY_A_HEX } })
  const ids: string[] = []
  for (const login of LOGINS) {
    const res = await underA.call({ method: 'POST', url: BASE, payload: login })
    t.equal(res.statusCode, 201)
    ids.push(res.json().id)
  }
  t.same(await keyIds(underA.app), [KEY_A_ID, KEY_A_ID, KEY_A_ID])

  // 2. Restart with B current and A decrypt-only: old rows still open, new ones are sealed with B.
  const rotating = await build(t, { databaseUrl, env: { CREDENTIALS_KEY: KEY_B_BASE64, CREDENTIALS_OLD_KEYS: KEY_A_HEX } })
  for (const [i, login] of LOGINS.entries()) {
    t.same(await rotating.app.credentialSecrets.reveal(ids[i] ?? ''), {
      username: login.username,
      password: login.password,
      registries: login.registries
    })
  }
  const fresh = (
    await rotating.call({
      method: 'POST',
      url: BASE,
      payload: { name: 'new', username: 'u', password: 'new-secret', registries: ['harbor.example.com'] }
    })
  ).json().id
  t.same(await keyIds(rotating.app), [KEY_A_ID, KEY_A_ID, KEY_A_ID, KEY_B_ID], 'ecr, gcr, harbor under A; new under B')

  // 3. The same function `npm run credentials:reencrypt` calls.
  const cipher = new CredentialCipher(
    loadCredentialKeys({ databaseKind: 'postgres', dataDir: t.testdirName, key: KEY_B_BASE64, oldKeys: KEY_A_HEX }).keys
  )
  const result = await reencryptCredentials(rotating.app.db, cipher, 2)
  t.same(result, { reencrypted: 3, failed: [] })
  t.same(await keyIds(rotating.app), [KEY_B_ID, KEY_B_ID, KEY_B_ID, KEY_B_ID], 'every row under B')
  t.same(await reencryptCredentials(rotating.app.db, cipher), { reencrypted: 0, failed: [] }, 'a rerun has nothing to do')

  // 4. A can now be dropped.
  const onlyB = await build(t, { databaseUrl, env: { CREDENTIALS_KEY: KEY_B_BASE64 } })
  for (const [i, login] of LOGINS.entries()) {
    t.same(
      await onlyB.app.credentialSecrets.reveal(ids[i] ?? ''),
      { username: login.username, password: login.password, registries: login.registries },
      `${login.name} with B alone`
    )
  }
  t.same(await onlyB.app.credentialSecrets.reveal(fresh), { username: 'u', password: 'new-secret', registries: ['harbor.example.com'] })
  const leaked = [...underA.logs, ...rotating.logs, ...onlyB.logs].join('')
  t.notOk(
    LOGINS.some((l) => leaked.includes(l.password)),
    'no secret in any log line'
  )
})

t.test('rows sealed with a key the process lacks: a startup warning, reveal and re-encryption say which key', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t)
  const underA = await build(t, { databaseUrl, env: { CREDENTIALS_KEY: KEY_A_HEX } })
  const id = (await underA.call({ method: 'POST', url: BASE, payload: LOGINS[0] })).json().id

  const withoutA = await build(t, { databaseUrl, env: { CREDENTIALS_KEY: KEY_B_BASE64 } })
  const warning = withoutA.logs.map((l) => JSON.parse(l)).find((l) => l.keyId === KEY_A_ID)
  t.match(warning, { level: 40, keyId: KEY_A_ID, count: 1, msg: /CREDENTIALS_OLD_KEYS/ })
  await t.rejects(withoutA.app.credentialSecrets.reveal(id), { name: 'CredentialDecryptError', message: new RegExp(`key ${KEY_A_ID}`) })

  const cipher = new CredentialCipher(loadCredentialKeys({ databaseKind: 'postgres', dataDir: t.testdirName, key: KEY_B_BASE64 }).keys)
  const result = await reencryptCredentials(withoutA.app.db, cipher)
  t.equal(result.reencrypted, 0)
  t.same(
    result.failed.map((f) => [f.id, f.keyId]),
    [[id, KEY_A_ID]]
  )
  t.same(
    await underA.app.credentialSecrets.reveal(id),
    { username: LOGINS[0]?.username, password: LOGINS[0]?.password, registries: LOGINS[0]?.registries },
    'the row was left intact'
  )
})
