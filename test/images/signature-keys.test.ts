import { execFileSync } from 'node:child_process'
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto'
import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { WITH_KEY } from '../credentials/keys.js'
import { counts, createImage, imageBody } from './fixtures.js'

const URL = '/v1/images/node-20'

const pem = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }).toString()
// Computed here from the DER, not taken from the service: the view must show what cosign users compare.
const fingerprint = (key: KeyObject) =>
  `sha256:${createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`

const ecdsa = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const ed25519 = generateKeyPairSync('ed25519')
const other = generateKeyPairSync('ed25519')

t.test('create with an ECDSA P-256 and an Ed25519 key: the view names algorithm and fingerprint; the event no PEM', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  // CRLF line ends and surrounding blanks, as a key pasted from a Windows editor comes.
  const pasted = `\n  ${pem(ecdsa.publicKey).replaceAll('\n', '\r\n')}  \n`
  const res = await test.call({
    method: 'POST',
    url: '/v1/images',
    payload: imageBody({
      signatureKeys: [
        { name: 'release-2026', publicKey: pasted },
        { name: 'ci.backup_1', publicKey: pem(ed25519.publicKey) }
      ]
    })
  })
  t.equal(res.statusCode, 201, res.body)
  const expected = [
    { name: 'release-2026', algorithm: 'ecdsa-p256', fingerprint: fingerprint(ecdsa.publicKey), publicKey: pem(ecdsa.publicKey) },
    { name: 'ci.backup_1', algorithm: 'ed25519', fingerprint: fingerprint(ed25519.publicKey), publicKey: pem(ed25519.publicKey) }
  ]
  t.same(res.json().signatureKeys, expected, 'in the order given, PEM normalised')
  t.same((await test.call({ method: 'GET', url: URL })).json().signatureKeys, expected, 'GET shows the same')
  const listed = (await test.call({ method: 'GET', url: '/v1/images' })).json().items[0]
  t.same(listed.signatureKeys, expected, 'and the list')

  const [event] = (await test.call({ method: 'GET', url: `${URL}/events` })).json().items
  t.equal(event.action, 'image.associated')
  t.same(event.details.signatureKeys, [
    { name: 'release-2026', fingerprint: fingerprint(ecdsa.publicKey) },
    { name: 'ci.backup_1', fingerprint: fingerprint(ed25519.publicKey) }
  ])
  t.notMatch(JSON.stringify(event), /BEGIN PUBLIC KEY/, 'no whole key in the audit trail')

  const plain = await test.call({ method: 'POST', url: '/v1/images', payload: imageBody({ code: 'plain' }) })
  t.same(plain.json().signatureKeys, [], 'without keys: [] (no signature required)')
  t.same((await test.call({ method: 'GET', url: '/v1/images/plain/events' })).json().items[0].details.signatureKeys, [])
})

t.test('PATCH replaces the keys: a new revision and an image.updated change by name and fingerprint', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test, { signatureKeys: [{ name: 'a', publicKey: pem(ecdsa.publicKey) }] })
  const res = await test.call({
    method: 'PATCH',
    url: URL,
    headers: { 'if-match': '"r1"' },
    payload: {
      signatureKeys: [
        { name: 'a', publicKey: pem(ecdsa.publicKey) },
        { name: 'b', publicKey: pem(ed25519.publicKey) }
      ]
    }
  })
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.headers.etag, '"r2"')
  t.same(
    res.json().signatureKeys.map((k: { name: string; algorithm: string }) => [k.name, k.algorithm]),
    [
      ['a', 'ecdsa-p256'],
      ['b', 'ed25519']
    ]
  )
  const [event] = (await test.call({ method: 'GET', url: `${URL}/events?limit=1` })).json().items
  t.same(event.details, {
    changes: {
      signatureKeys: {
        from: [{ name: 'a', fingerprint: fingerprint(ecdsa.publicKey) }],
        to: [
          { name: 'a', fingerprint: fingerprint(ecdsa.publicKey) },
          { name: 'b', fingerprint: fingerprint(ed25519.publicKey) }
        ]
      }
    }
  })

  const before = await counts(test)
  // The same keys in another PEM layout are the same keys: nothing to change.
  const same = await test.call({
    method: 'PATCH',
    url: URL,
    payload: {
      signatureKeys: [
        { name: 'a', publicKey: pem(ecdsa.publicKey).replaceAll('\n', '\r\n') },
        { name: 'b', publicKey: pem(ed25519.publicKey) }
      ]
    }
  })
  t.equal(same.statusCode, 200)
  t.equal(same.headers.etag, '"r2"', 'no change: same revision')
  t.same(await counts(test), before, 'and no event')

  const renamed = await test.call({
    method: 'PATCH',
    url: URL,
    payload: { signatureKeys: [{ name: 'release', publicKey: pem(ed25519.publicKey) }] }
  })
  t.equal(renamed.headers.etag, '"r3"', 'a rename is a change')
  const stale = await test.call({ method: 'PATCH', url: URL, headers: { 'if-match': '"r2"' }, payload: { signatureKeys: [] } })
  t.equal(stale.statusCode, 412, 'If-Match covers the keys like every other field')
  t.equal((await test.call({ method: 'GET', url: URL })).json().signatureKeys.length, 1)

  const cleared = await test.call({ method: 'PATCH', url: URL, headers: { 'if-match': '"r3"' }, payload: { signatureKeys: [] } })
  t.equal(cleared.statusCode, 200)
  t.same(cleared.json().signatureKeys, [])
  const [last] = (await test.call({ method: 'GET', url: `${URL}/events?limit=1` })).json().items
  t.same(last.details.changes.signatureKeys, { from: [{ name: 'release', fingerprint: fingerprint(ed25519.publicKey) }], to: [] })
})

const certificate = (): string =>
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=signer',
      '-keyout',
      '/dev/null',
      '-days',
      '1'
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }
  )

interface BadKey {
  why: string
  keys: { name: string; publicKey: string }[]
  keyName: string
  hint: RegExp
}

function badKeys(): BadKey[] {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' })
  const good = { name: 'good', publicKey: pem(ed25519.publicKey) }
  return [
    {
      why: 'a private key',
      keys: [good, { name: 'oops', publicKey: ecdsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }],
      keyName: 'oops',
      hint: /private key/
    },
    {
      why: 'an EC private key (SEC1)',
      keys: [{ name: 'sec1', publicKey: ecdsa.privateKey.export({ type: 'sec1', format: 'pem' }).toString() }],
      keyName: 'sec1',
      hint: /private key/
    },
    { why: 'an RSA key', keys: [{ name: 'rsa', publicKey: pem(rsa.publicKey) }], keyName: 'rsa', hint: /RSA/ },
    { why: 'ECDSA on P-384', keys: [{ name: 'p384', publicKey: pem(p384.publicKey) }], keyName: 'p384', hint: /secp384r1|curve/ },
    { why: 'a certificate', keys: [{ name: 'cert', publicKey: certificate() }], keyName: 'cert', hint: /certificate/ },
    { why: 'not PEM at all', keys: [{ name: 'text', publicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI' }], keyName: 'text', hint: /PEM/ },
    {
      why: 'a broken PEM body',
      keys: [{ name: 'broken', publicKey: '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n' }],
      keyName: 'broken',
      hint: /readable public key/
    },
    {
      why: 'two keys in one entry',
      keys: [{ name: 'two', publicKey: pem(ed25519.publicKey) + pem(other.publicKey) }],
      keyName: 'two',
      hint: /2 PEM blocks/
    },
    { why: 'a name used twice', keys: [good, { name: 'good', publicKey: pem(other.publicKey) }], keyName: 'good', hint: /name/ },
    {
      why: 'one key under two names',
      keys: [good, { name: 'again', publicKey: pem(ed25519.publicKey).replaceAll('\n', '\r\n') }],
      keyName: 'again',
      hint: new RegExp(`same public key as "good" \\(${fingerprint(ed25519.publicKey)}\\)`)
    }
  ]
}

async function imageState(test: TestApp) {
  const res = await test.call({ method: 'GET', url: URL })
  return { etag: res.headers.etag, body: res.json(), counts: await counts(test) }
}

t.test('every bad key is a 400 INVALID_SIGNATURE_KEY naming the key, with a hint; nothing is created or changed', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test, { signatureKeys: [{ name: 'kept', publicKey: pem(other.publicKey) }] })
  for (const bad of badKeys()) {
    const before = await imageState(test)
    const created = await test.call({ method: 'POST', url: '/v1/images', payload: imageBody({ code: 'other', signatureKeys: bad.keys }) })
    t.equal(created.statusCode, 400, `${bad.why}: create refused`)
    t.match(created.json(), { code: 'INVALID_SIGNATURE_KEY', keyName: bad.keyName, hint: bad.hint }, bad.why)
    t.match(created.headers['content-type'], /^application\/problem\+json/)
    t.equal((await test.call({ method: 'GET', url: '/v1/images/other' })).statusCode, 404, `${bad.why}: no image created`)

    const patched = await test.call({ method: 'PATCH', url: URL, payload: { signatureKeys: bad.keys } })
    t.equal(patched.statusCode, 400, `${bad.why}: edit refused`)
    t.match(patched.json(), { code: 'INVALID_SIGNATURE_KEY', keyName: bad.keyName, hint: bad.hint })
    t.same(await imageState(test), before, `${bad.why}: the image, its ETag and its events are as they were`)
  }
})

t.test('the schema bounds: 10 keys at most, names of [A-Za-z0-9._-] up to 64, a PEM up to 4 KiB', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test)
  const keys = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `k${i}`, publicKey: pem(generateKeyPairSync('ed25519').publicKey) }))
  const ten = await test.call({ method: 'PATCH', url: URL, payload: { signatureKeys: keys(10) } })
  t.equal(ten.statusCode, 200, 'ten keys are fine')
  const before = await imageState(test)
  const refused = [
    { why: 'eleven keys', signatureKeys: keys(11) },
    { why: 'a name with a space', signatureKeys: [{ name: 'my key', publicKey: pem(other.publicKey) }] },
    { why: 'an empty name', signatureKeys: [{ name: '', publicKey: pem(other.publicKey) }] },
    { why: 'a 65-character name', signatureKeys: [{ name: 'k'.repeat(65), publicKey: pem(other.publicKey) }] },
    { why: 'a PEM over 4 KiB', signatureKeys: [{ name: 'big', publicKey: pem(other.publicKey) + ' '.repeat(4096) }] },
    { why: 'no publicKey', signatureKeys: [{ name: 'bare' }] },
    { why: 'an unknown field', signatureKeys: [{ name: 'x', publicKey: pem(other.publicKey), algorithm: 'ed25519' }] }
  ]
  for (const { why, signatureKeys } of refused) {
    const res = await test.call({ method: 'PATCH', url: URL, payload: { signatureKeys } })
    t.equal(res.statusCode, 400, why)
    t.equal(res.json().code, 'VALIDATION_FAILED', why)
  }
  t.same(await imageState(test), before, 'nothing changed')
})
