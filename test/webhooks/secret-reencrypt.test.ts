import { spawn } from 'node:child_process'
import { once } from 'node:events'
import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { compiledEntry } from '../helpers/compiled-entry.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import { CredentialCipher } from '../../src/credentials/credential-cipher.js'
import { loadCredentialKeys } from '../../src/credentials/credentials-key.js'
import { reencryptWebhookSecrets } from '../../src/webhooks/secrets-reencrypt.js'
import { KEY_A_HEX, KEY_A_ID, KEY_B_BASE64, KEY_B_ID, KEY_C_BASE64URL, keyIdOf } from '../credentials/keys.js'
import { createImage, RECEIVER_ENV, startReceiver, subscribe, waitFor, type Receiver } from './delivery-rig.js'

const SCRIPT = await compiledEntry('scripts/credentials-reencrypt.ts')
const KEY_C_ID = keyIdOf(Buffer.from(KEY_C_BASE64URL, 'base64url'))

async function rotate(app: TestApp, id: string, graceSeconds: number): Promise<string> {
  const res = await app.call({ method: 'POST', url: `/v1/webhooks/${id}/rotate-secret`, payload: { graceSeconds } })
  if (res.statusCode !== 200) throw new Error(`rotate: ${res.statusCode} ${res.body}`)
  return res.json<{ secret: string }>().secret
}

/** `npm run credentials:reencrypt` as an operator runs it, with only the environment given. */
async function runScript(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const [code] = (await once(child, 'exit')) as [number | null]
  return { code, stdout, stderr }
}

const secretColumns = (app: TestApp) =>
  app.app.db
    .selectFrom('webhookSubscriptions')
    .select([
      'id',
      'secretCiphertext',
      'secretKeyId',
      'previousSecretCiphertext',
      'previousSecretKeyId',
      'previousSecretExpiresAt',
      'updatedAt'
    ])
    .orderBy('id')
    .execute()

t.test('rotation: secrets sealed under A are re-sealed to B, both slots, and sign with B alone', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t)
  const receiver: Receiver = await startReceiver(t)
  // Only image.associated: the deliveries below are then exactly one per subscription per image.
  const only = { events: ['image.associated'] }

  // 1. Under key A: a plain subscription, one rotated (its old secret in the previous slot, still in
  //    its grace), one whose previous secret's grace is over, and a registry credential.
  const underA = await build(t, { databaseUrl, env: { ...RECEIVER_ENV, CREDENTIALS_KEY: KEY_A_HEX } })
  const plain = await subscribe(underA, receiver, only)
  const rotated = await subscribe(underA, receiver, only)
  const rotatedNew = await rotate(underA, rotated.id, 3600)
  receiver.secrets.push(rotatedNew)
  const expired = await subscribe(underA, receiver, only)
  const expiredNew = await rotate(underA, expired.id, 3600)
  receiver.secrets.push(expiredNew)
  await underA.app.db
    .updateTable('webhookSubscriptions')
    .set({ previousSecretExpiresAt: new Date(Date.now() - 1000) })
    .where('id', '=', expired.id)
    .execute()
  const credential = await underA.call({
    method: 'POST',
    url: '/v1/projects/payments/credentials',
    payload: { name: 'harbor', username: 'robot', password: 'harbor-secret', registries: ['harbor.example.com'] }
  })
  t.equal(credential.statusCode, 201, credential.body)
  await underA.app.close()

  // 2. A subscription sealed under a key the rotation does not know (C).
  const underC = await build(t, { databaseUrl, env: { ...RECEIVER_ENV, CREDENTIALS_KEY: KEY_C_BASE64URL } })
  const stray = await subscribe(underC, receiver, { events: ['version.released'] })
  await underC.app.close()

  const inspector = await build(t, {
    databaseUrl,
    env: { ...RECEIVER_ENV, CREDENTIALS_KEY: KEY_B_BASE64, CREDENTIALS_OLD_KEYS: KEY_A_HEX }
  })
  await inspector.app.webhookDelivery.worker.stop()
  const before = await secretColumns(inspector)
  const was = (id: string) => before.find((r) => r.id === id)
  t.match(was(plain.id), { secretKeyId: KEY_A_ID, previousSecretKeyId: null })
  t.match(was(rotated.id), { secretKeyId: KEY_A_ID, previousSecretKeyId: KEY_A_ID }, 'the rotated one uses the previous slot')
  t.match(was(expired.id), { secretKeyId: KEY_A_ID, previousSecretKeyId: KEY_A_ID })
  t.match(was(stray.id), { secretKeyId: KEY_C_ID })

  // 3. The script, as an operator runs it: ring [B current, A old].
  const run = await runScript({ DATABASE_URL: databaseUrl, CREDENTIALS_KEY: KEY_B_BASE64, CREDENTIALS_OLD_KEYS: KEY_A_HEX })
  t.equal(run.code, 1, 'a secret that could not be opened fails the run')
  t.equal(run.stdout, `re-encrypted 1 credential(s) and 4 webhook secret(s) with key ${KEY_B_ID}\n`, 'plain 1, rotated 2, expired 1')
  t.match(run.stderr, `Webhook subscription ${stray.id}: its current signing secret is encrypted with key ${KEY_C_ID}`)
  t.match(run.stderr, /1 webhook secret\(s\) of 1 subscription\(s\) left on their old key; fix CREDENTIALS_OLD_KEYS/)
  t.notMatch(run.stderr, /credential\(s\) left/, 'no credential failed')
  t.notOk(
    [KEY_A_HEX, KEY_B_BASE64, plain.secret, rotatedNew].some((s) => run.stdout.includes(s) || run.stderr.includes(s)),
    'no key and no secret in the output'
  )

  const after = await secretColumns(inspector)
  const row = (id: string) => after.find((r) => r.id === id)
  t.match(row(plain.id), { secretKeyId: KEY_B_ID, previousSecretKeyId: null })
  t.match(row(rotated.id), { secretKeyId: KEY_B_ID, previousSecretKeyId: KEY_B_ID })
  t.same(row(rotated.id)?.previousSecretExpiresAt, was(rotated.id)?.previousSecretExpiresAt, 'the grace keeps its end')
  t.match(
    row(expired.id),
    { secretKeyId: KEY_B_ID, previousSecretCiphertext: null, previousSecretKeyId: null, previousSecretExpiresAt: null },
    'a previous secret past its grace is dropped, not re-sealed'
  )
  t.same(row(stray.id), was(stray.id), 'the row under the unknown key is untouched')
  t.ok(
    after.every((r) => r.updatedAt.getTime() === was(r.id)?.updatedAt.getTime()),
    'updatedAt stays: nothing a subscriber sees changed'
  )

  // 4. A rerun has nothing to do but report the same stray secret.
  const cipher = new CredentialCipher(
    loadCredentialKeys({ databaseKind: 'postgres', dataDir: t.testdirName, key: KEY_B_BASE64, oldKeys: KEY_A_HEX }).keys
  )
  const rerun = await reencryptWebhookSecrets(inspector.app.db, cipher, 1)
  t.equal(rerun.reencrypted, 0)
  t.same(
    rerun.failed.map((f) => [f.subscriptionId, f.slot, f.keyId]),
    [[stray.id, 'current', KEY_C_ID]]
  )
  t.same(await secretColumns(inspector), after, 'a rerun changes no row')
  await inspector.app.close()

  // 5. A dropped: an app with B alone delivers, each signature verifying with the subscription's secrets.
  const onlyB = await build(t, { databaseUrl, env: { ...RECEIVER_ENV, CREDENTIALS_KEY: KEY_B_BASE64 } })
  await createImage(onlyB, 'after-rotation')
  await waitFor('a delivery to each subscription', () => receiver.received.length === 3)
  const verified = (list: string[][]) => list.map((secrets) => [...secrets].sort().join(' ')).sort()
  t.same(
    verified(receiver.received.map((r) => r.verifiedWith)),
    verified([[plain.secret], [expiredNew], [rotated.secret, rotatedNew]]),
    'plain with its secret; expired with its new one alone; rotated with the new secret and the old one still in its grace'
  )
  t.same(receiver.unverified, [])
  const deliveries = () => onlyB.app.db.selectFrom('webhookDeliveries').select('status').execute()
  await waitFor('every delivery recorded as succeeded', async () => (await deliveries()).every((d) => d.status === 'succeeded'))
  t.equal((await deliveries()).length, 3)
  const credentials = await onlyB.app.db.selectFrom('registryCredentials').select('secretKeyId').execute()
  t.same(
    credentials.map((c) => c.secretKeyId),
    [KEY_B_ID]
  )
})
