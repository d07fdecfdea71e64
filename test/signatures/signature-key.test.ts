// The key parser is the gate for what an image may require: only public keys of the kinds cosign's
// keyed mode makes, with a hint that tells a publisher what to paste instead.
import t from 'tap'
import { generateKeyPairSync } from 'node:crypto'
import { parseSignatureKey, InvalidSignatureKeyError } from '../../src/signatures/index.js'

// Made with openssl (ecparam prime256v1 / genpkey ed25519); fingerprints from `openssl pkey -pubin -outform DER | sha256sum`.
const P256_PEM = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEJR1PcXWDJG3gynrLxhoPVPgp5H3k
CtzE9HSGiGFTTLIuULHswQb+2XEYjz6UcuMOtVjOwTK40iuYPZdZhzlxEg==
-----END PUBLIC KEY-----
`
const P256_FINGERPRINT = 'sha256:afce39fd407aead7ba9ca776b188e83f5bff18ab840d42d1c7c09818a1d3f6bb'
const ED25519_PEM = `-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAqYrjGUZUKTKlNTPBm/huUgPGg0ev2D3UjOntOhyAGK0=
-----END PUBLIC KEY-----
`
const ED25519_FINGERPRINT = 'sha256:1ae435bae4ed793c9bab35b44e7fd5d842ab2786a32ed638eddc7d5b1277f2c2'

function rejection(name: string, pem: string): InvalidSignatureKeyError {
  try {
    parseSignatureKey(name, pem)
  } catch (error) {
    if (error instanceof InvalidSignatureKeyError) return error
    throw error
  }
  throw new Error(`${name} was accepted`)
}

t.test('ECDSA P-256 and Ed25519 public keys are accepted with their SPKI fingerprint', async (t) => {
  t.same(parseSignatureKey('release', P256_PEM), {
    name: 'release',
    algorithm: 'ecdsa-p256',
    publicKey: P256_PEM,
    fingerprint: P256_FINGERPRINT
  })
  t.same(parseSignatureKey('ci', ED25519_PEM), {
    name: 'ci',
    algorithm: 'ed25519',
    publicKey: ED25519_PEM,
    fingerprint: ED25519_FINGERPRINT
  })
})

t.test('pasting quirks: CRLF line ends and text around the block are tolerated, the stored PEM is normalised', async (t) => {
  const pasted = `cosign.pub:\r\n${P256_PEM.replace(/\n/g, '\r\n')}\r\n`
  const key = parseSignatureKey('release', pasted)
  t.equal(key.publicKey, P256_PEM)
  t.equal(key.fingerprint, P256_FINGERPRINT)
})

t.test('other kinds of keys are refused with a hint naming what is accepted', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const x25519 = generateKeyPairSync('x25519')
  const cases: [string, string, RegExp][] = [
    ['rsa-spki', rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(), /^RSA keys are not supported/],
    ['rsa-pkcs1', rsa.publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(), /^RSA keys are not supported/],
    ['p384', p384.publicKey.export({ type: 'spki', format: 'pem' }).toString(), /^ECDSA keys on curve secp384r1 are not supported/],
    ['x25519', x25519.publicKey.export({ type: 'spki', format: 'pem' }).toString(), /^X25519 keys are not supported/]
  ]
  for (const [name, pem, hint] of cases) {
    const error = rejection(name, pem)
    t.equal(error.keyName, name)
    t.match(error.hint, hint, name)
    t.match(error.hint, /ECDSA P-256 or Ed25519/, `${name}: the hint says what is accepted`)
  }
})

t.test('a private key is refused and never echoed back', async (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const ed = generateKeyPairSync('ed25519')
  const privates = [
    ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    ec.privateKey.export({ type: 'sec1', format: 'pem' }).toString(),
    ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n'
  ]
  for (const pem of privates) {
    const error = rejection('oops', pem)
    t.match(error.hint, /^this is a private key .*give only its public key/)
    const body = pem.split('\n')[1] ?? ''
    t.notOk(error.message.includes(body) || error.hint.includes(body), 'no key material in the message')
  }
})

t.test('garbage, certificates, several blocks and damaged blocks are refused', async (t) => {
  t.match(rejection('empty', '').hint, /^no PEM block found/)
  t.match(rejection('words', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI cosign').hint, /^no PEM block found/)
  t.match(rejection('cert', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----').hint, /^this is a certificate/)
  t.match(rejection('two', `${P256_PEM}${ED25519_PEM}`).hint, /^2 PEM blocks found; give one key per entry/)
  t.match(rejection('damaged', '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----').hint, /does not hold a readable public key/)
  t.match(rejection('truncated', P256_PEM.replace('CtzE9', '')).hint, /does not hold a readable public key/)
  t.match(
    rejection('odd label', '-----BEGIN PGP PUBLIC KEY BLOCK-----\nmQ\n-----END PGP PUBLIC KEY BLOCK-----').hint,
    /labelled PGP PUBLIC KEY BLOCK/
  )
  const error = rejection('empty', '')
  t.equal(error.name, 'InvalidSignatureKeyError')
  t.match(error.message, /^signature key "empty" is not usable: /)
})
