import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { CredentialCipher } from '../../src/credentials/credential-cipher.js'
import { parseCredentialKey } from '../../src/credentials/credentials-key.js'
import {
  generateSigningSecret,
  openSigningSecrets,
  sealPreviousSigningSecret,
  sealSigningSecret
} from '../../src/webhooks/signing-secret.js'
import { KEY_A_HEX } from '../credentials/keys.js'

const key = parseCredentialKey(KEY_A_HEX, 'CREDENTIALS_KEY')
const sealer = new CredentialCipher({ current: key, byId: new Map([[key.id, key]]) })
const ID = '11111111-1111-4111-8111-111111111111'
const OTHER_ID = '22222222-2222-4222-8222-222222222222'

t.test('a secret is whsec_ and base64 of 32 random bytes, fresh each time, and the standardwebhooks library accepts it', async (t) => {
  const secret = generateSigningSecret()
  t.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/)
  t.equal(Buffer.from(secret.slice('whsec_'.length), 'base64').length, 32)
  t.not(generateSigningSecret(), secret)
  const payload = '{"hello":"world"}'
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)) }
  const signature = new Webhook(secret).sign('msg_1', new Date(), payload)
  t.same(new Webhook(secret).verify(payload, { ...headers, 'webhook-signature': signature }), { hello: 'world' })
})

function row(overrides: { previous?: string; expiresAt?: Date | null; id?: string } = {}) {
  const sealed = sealSigningSecret(sealer, ID, 'whsec_current')
  const previous = overrides.previous === undefined ? undefined : sealPreviousSigningSecret(sealer, ID, overrides.previous)
  return {
    id: overrides.id ?? ID,
    secretCiphertext: sealed.ciphertext,
    secretKeyId: sealed.keyId,
    previousSecretCiphertext: previous?.ciphertext ?? null,
    previousSecretKeyId: previous?.keyId ?? null,
    previousSecretExpiresAt: overrides.expiresAt ?? null
  }
}

t.test('the sealed secret holds no plaintext and opens only for its subscription', async (t) => {
  const sealed = sealSigningSecret(sealer, ID, 'whsec_current')
  t.notOk(sealed.ciphertext.includes(Buffer.from('whsec_current')))
  t.same(openSigningSecrets(sealer, row(), new Date()), ['whsec_current'])
  t.throws(() => openSigningSecrets(sealer, row({ id: OTHER_ID }), new Date()), 'a ciphertext moved to another row does not open')
})

t.test('the previous secret signs too until its grace ends, after the current one', async (t) => {
  const now = new Date('2026-12-01T12:00:00Z')
  const rotated = row({ previous: 'whsec_old', expiresAt: new Date(now.getTime() + 1000) })
  t.same(openSigningSecrets(sealer, rotated, now), ['whsec_current', 'whsec_old'])
  t.same(openSigningSecrets(sealer, rotated, new Date(now.getTime() + 1000)), ['whsec_current'], 'not at the instant it expires')
  t.same(openSigningSecrets(sealer, rotated, new Date(now.getTime() + 5000)), ['whsec_current'])
})

t.test('a previous secret sealed in the current slot does not open as the previous one', async (t) => {
  const now = new Date()
  const current = sealSigningSecret(sealer, ID, 'whsec_old')
  const swapped = {
    ...row(),
    previousSecretCiphertext: current.ciphertext,
    previousSecretKeyId: current.keyId,
    previousSecretExpiresAt: new Date(now.getTime() + 60_000)
  }
  t.throws(() => openSigningSecrets(sealer, swapped, now))
})
