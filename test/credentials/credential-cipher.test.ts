import t from 'tap'
import { CredentialCipher, CredentialDecryptError, openWith, sealWith } from '../../src/credentials/credential-cipher.js'
import { parseCredentialKey } from '../../src/credentials/credentials-key.js'
import { ConfigError } from '../../src/config.js'
import { KEY_A_HEX, KEY_A_ID, KEY_B_BASE64, KEY_B_ID, KEY_C_BASE64URL } from './keys.js'

const A = parseCredentialKey(KEY_A_HEX, 'CREDENTIALS_KEY')
const B = parseCredentialKey(KEY_B_BASE64, 'CREDENTIALS_KEY')
const ID1 = '11111111-1111-4111-8111-111111111111'
const ID2 = '22222222-2222-4222-8222-222222222222'

t.test('keys parse from 64 hex or base64 (standard and URL-safe); the id is sha256(key)[0..16)', async (t) => {
  t.equal(A.key.length, 32)
  t.equal(A.id, KEY_A_ID)
  t.equal(B.id, KEY_B_ID)
  t.equal(parseCredentialKey(KEY_C_BASE64URL, 'X').key.toString(), 'c'.repeat(32))
  t.equal(parseCredentialKey(`  ${KEY_B_BASE64}\n`, 'X').id, KEY_B_ID, 'surrounding whitespace (a key file line) is ignored')
})

t.test('a key of the wrong length is a ConfigError naming the variable, without echoing the value', async (t) => {
  for (const bad of ['abc', 'a'.repeat(62), Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('base64'), 'z'.repeat(64)]) {
    const error = t.throws(() => parseCredentialKey(bad, 'CREDENTIALS_KEY')) as Error
    t.ok(error instanceof ConfigError, 'ConfigError')
    t.match(error.message, /^Invalid configuration: CREDENTIALS_KEY must be 32 bytes/)
    t.notOk(error.message.includes(bad), 'the value is not in the message')
  }
})

t.test('seal/open round-trips; layout is iv(12) || tag(16) || ciphertext; every seal uses a fresh IV', async (t) => {
  const sealed = sealWith(A, ID1, 'p@ss wörd')
  t.equal(sealed.keyId, A.id)
  t.equal(sealed.ciphertext.length, 12 + 16 + Buffer.byteLength('p@ss wörd'))
  t.notOk(sealed.ciphertext.includes(Buffer.from('p@ss')), 'no plaintext in the ciphertext')
  t.equal(openWith(A, ID1, sealed.ciphertext), 'p@ss wörd')
  const again = sealWith(A, ID1, 'p@ss wörd')
  t.not(again.ciphertext.subarray(0, 12).toString('hex'), sealed.ciphertext.subarray(0, 12).toString('hex'), 'different IV')
})

t.test('the credential id is authenticated: a ciphertext moved to another row does not open', async (t) => {
  const sealed = sealWith(A, ID1, 'secret')
  t.throws(() => openWith(A, ID2, sealed.ciphertext), CredentialDecryptError)
})

t.test('tampering, truncation and the wrong key are detected', async (t) => {
  const sealed = sealWith(A, ID1, 'secret')
  const flipped = Buffer.from(sealed.ciphertext)
  flipped[flipped.length - 1] = (flipped.at(-1) ?? 0) ^ 1
  t.throws(() => openWith(A, ID1, flipped), CredentialDecryptError)
  t.throws(() => openWith(A, ID1, sealed.ciphertext.subarray(0, 20)), CredentialDecryptError)
  t.throws(() => openWith(B, ID1, sealed.ciphertext), CredentialDecryptError)
})

t.test('CredentialCipher seals with the current key and opens with whichever key the row names', async (t) => {
  const oldRing = new CredentialCipher({ current: A, byId: new Map([[A.id, A]]) })
  const rotated = new CredentialCipher({
    current: B,
    byId: new Map([
      [B.id, B],
      [A.id, A]
    ])
  })
  const onlyB = new CredentialCipher({ current: B, byId: new Map([[B.id, B]]) })
  const sealedA = oldRing.seal(ID1, 'old secret')
  t.equal(rotated.open(ID1, sealedA), 'old secret')
  t.equal(rotated.seal(ID1, 'x').keyId, B.id)
  const error = t.throws(() => onlyB.open(ID1, sealedA)) as CredentialDecryptError
  t.ok(error instanceof CredentialDecryptError)
  t.match(error.message, `key ${A.id}`)
  t.match(error.message, 'CREDENTIALS_OLD_KEYS')
})
