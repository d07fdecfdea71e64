// Signed-only releases end to end: images signed here with keys the test generates (cosign's keyed
// mode, simple-signing payload) and pushed to a real docker-registry, reached through a loopback proxy
// that adds the OCI 1.1 referrers API and records every request; the app checks them with its real
// worker and registry client.
import t from 'tap'
import { signatureVerdict } from '../../src/checks/signature-verdict.js'
import { parseSignatureKey } from '../../src/signatures/index.js'
import type { TestApp } from '../helpers/app.js'
import { build } from '../helpers/app.js'
import {
  generateTestKeyPair,
  pushImage,
  signImage,
  startReferrersProxy,
  type ImageKind,
  type TestKeyPair
} from '../helpers/registry/index.js'
import { action, getVersion, registryEnv, startTestRegistry, submit, versionEvents, waitForCheck } from '../versions/fixtures.js'

const release = generateTestKeyPair('ecdsa-p256')
const backup = generateTestKeyPair('ed25519')
const stranger = generateTestKeyPair('ecdsa-p256')
const KEYS = [
  { name: 'release', publicKey: release.publicKeyPem },
  { name: 'backup', publicKey: backup.publicKeyPem }
]
const stored = (name: string, key: TestKeyPair) => parseSignatureKey(name, key.publicKeyPem)
const fingerprint = (key: TestKeyPair) => stored('x', key).fingerprint
const short = (key: TestKeyPair) => `${fingerprint(key).slice(0, 19)}…`

t.test('the verdict on a check outcome (pure)', async (t) => {
  const keys = [stored('release', release), stored('backup', backup)]
  const both = keys.map((k) => k.fingerprint)
  t.same(signatureVerdict([], [], undefined), { kind: 'pass', signedBy: null }, 'no keys: nothing required')
  t.same(
    signatureVerdict(keys, both, { signedBy: { name: 'old-name', fingerprint: fingerprint(backup) }, summary: '1 found' }),
    { kind: 'pass', signedBy: { name: 'backup', fingerprint: fingerprint(backup) } },
    'named as the image names the key now'
  )
  const unsigned = signatureVerdict(keys, both, { signedBy: null, summary: 'no signatures found (looked in …)' })
  t.same(unsigned, {
    kind: 'unsigned',
    reason: `no valid signature by "release" (${short(release)}), "backup" (${short(backup)}): no signatures found (looked in …)`
  })
  t.equal(signatureVerdict(keys, [both[0]!], { signedBy: null, summary: '' }).kind, 'keys_changed', 'a key added during the check')
  t.equal(signatureVerdict([], both, undefined).kind, 'keys_changed', 'the keys removed during the check')
  t.equal(
    signatureVerdict(keys, [...both].reverse(), { signedBy: { name: 'release', fingerprint: fingerprint(release) }, summary: '' }).kind,
    'pass',
    'the order of the keys does not matter'
  )
  t.equal(signatureVerdict(keys, both, undefined).kind, 'unsigned', 'keys given but nothing looked up is no signature')
})

t.test('checks of versions of images that require signatures, against the real registry', async (t) => {
  const registry = await startTestRegistry(t)
  const proxy = await startReferrersProxy(registry)
  t.teardown(proxy.stop)
  const app = await build(t, { env: registryEnv(registry, proxy) })

  // Each case its own repository: cosign's .sig tag lives in the image's repository.
  const image = async (code: string, keys: { name: string; publicKey: string }[], kind: ImageKind = 'oci-image') => {
    const res = await app.call({
      method: 'POST',
      url: '/v1/images',
      payload: { code, name: code, ownerProject: 'payments-ci', debugProject: 'payments-sandbox', signatureKeys: keys }
    })
    if (res.statusCode !== 201) throw new Error(`image: ${res.statusCode} ${res.body}`)
    const pushed = await pushImage(registry, { repository: `team/${code}`, tag: 'v1', kind })
    return { code, repository: `team/${code}`, digest: pushed.digest }
  }
  const check = async (code: string) => {
    const res = await submit(app, code, { registry: proxy.host, repository: `team/${code}`, tag: 'v1' })
    if (res.statusCode !== 202) throw new Error(`submit: ${res.statusCode} ${res.body}`)
    return waitForCheck(app, code, '1.0.0', 60_000)
  }
  const signatureLookups = (from: number) =>
    proxy.requests.slice(from).filter((r) => r.path.includes('/referrers/') || r.path.endsWith('.sig'))

  await t.test('signed by one of the keys (tag scheme, ECDSA): testing with signedBy; it releases and resolves', async (t) => {
    const img = await image('signed-tag', KEYS)
    await signImage(registry, { repository: img.repository, digest: img.digest, signatures: [{ key: release }] })
    const v = await check(img.code)
    t.match(v, { status: 'testing', digest: img.digest, checkClass: null, statusReason: null })
    t.same(v.signedBy, { key: 'release', fingerprint: fingerprint(release) })
    const row = await app.app.db
      .selectFrom('imageVersions')
      .select(['signedBy', 'signedByFingerprint'])
      .where('digest', '=', img.digest)
      .where('repository', '=', img.repository)
      .executeTakeFirstOrThrow()
    t.same(row, { signedBy: 'release', signedByFingerprint: fingerprint(release) }, 'stored on the version')
    const passed = (await versionEvents(app, img.code)).find((e) => e.action === 'version.check_passed')
    t.equal((passed?.details as { signedBy?: unknown }).signedBy, 'release', 'the check_passed event names the key')

    t.equal((await action(app, img.code, '1.0.0', 'release')).statusCode, 200)
    const resolved = await app.call({
      method: 'GET',
      url: `/v1/images/${img.code}/resolve?version=1.latest&project=payments-ci&pipeline=p&build=b`
    })
    t.equal(resolved.statusCode, 200, resolved.body)
    t.match(resolved.json(), { version: '1.0.0', digest: img.digest })
  })

  await t.test('signed as an OCI 1.1 referrer by the other key (Ed25519, multi-platform): testing, signed by it', async (t) => {
    const img = await image('signed-referrer', KEYS, 'oci-index')
    const signed = await signImage(registry, {
      repository: img.repository,
      digest: img.digest,
      signatures: [{ key: backup }],
      scheme: 'referrer'
    })
    proxy.addReferrer(img.digest, signed.descriptor)
    const v = await check(img.code)
    t.match(v, { status: 'testing', digest: img.digest })
    t.same(v.signedBy, { key: 'backup', fingerprint: fingerprint(backup) })
  })

  await t.test('unsigned: check_failed (unsigned) at the first attempt, naming the keys and where it looked', async (t) => {
    const img = await image('unsigned', KEYS)
    const v = await check(img.code)
    t.match(v, { status: 'check_failed', checkClass: 'unsigned', signedBy: null, digest: null })
    t.match(
      v.statusReason,
      /^no valid signature by "release" \(sha256:[0-9a-f]{12}…\), "backup" \(sha256:[0-9a-f]{12}…\): no signatures found \(/
    )
    t.match(v.statusReason, /referrers API/, 'says the referrers API was asked')
    t.match(v.statusReason, `tag ${img.digest.replace(':', '-').slice(0, 19)}`, 'and the .sig tag')
    const events = await versionEvents(app, img.code)
    const failed = events.filter((e) => e.action === 'version.check_failed')
    t.equal(failed.length, 1)
    t.match(failed[0]?.details, { checkClass: 'unsigned', attempts: 1 }, 'not retried')
    t.notOk(
      events.some((e) => e.action === 'version.check_retry_scheduled'),
      'no retry was scheduled'
    )
    t.equal((await action(app, img.code, '1.0.0', 'release')).statusCode, 409, 'nothing to release')

    // The publisher signs it after all and asks again.
    await signImage(registry, { repository: img.repository, digest: img.digest, signatures: [{ key: backup }] })
    t.equal((await action(app, img.code, '1.0.0', 'recheck')).statusCode, 202)
    const rechecked = await waitForCheck(app, img.code, '1.0.0', 60_000)
    t.match(rechecked, { status: 'testing', checkClass: null, statusReason: null })
    t.same(rechecked.signedBy, { key: 'backup', fingerprint: fingerprint(backup) })
  })

  await t.test("signed by a key the image does not list: check_failed naming the image's keys and the foreign signature", async (t) => {
    const img = await image('foreign', KEYS)
    const signed = await signImage(registry, { repository: img.repository, digest: img.digest, signatures: [{ key: stranger }] })
    const v = await check(img.code)
    t.match(v, { status: 'check_failed', checkClass: 'unsigned', signedBy: null })
    t.match(v.statusReason, `no valid signature by "release" (${short(release)}), "backup" (${short(backup)}): 1 signature found`)
    t.match(v.statusReason, `one by none of the image's keys (payload ${signed.payloads[0]!.digest.slice(0, 19)}…)`)
    t.notMatch(v.statusReason, short(stranger), "a keyed signature does not carry its key: the stranger's is not made up")

    // Adding the stranger's key to the image and rechecking lets it pass, signed by that key.
    const patched = await app.call({
      method: 'PATCH',
      url: `/v1/images/${img.code}`,
      payload: { signatureKeys: [...KEYS, { name: 'vendor', publicKey: stranger.publicKeyPem }] }
    })
    t.equal(patched.statusCode, 200)
    t.equal((await action(app, img.code, '1.0.0', 'recheck')).statusCode, 202)
    const rechecked = await waitForCheck(app, img.code, '1.0.0', 60_000)
    t.match(rechecked, { status: 'testing' })
    t.same(rechecked.signedBy, { key: 'vendor', fingerprint: fingerprint(stranger) })
  })

  await t.test('an image without keys: no signature is looked up, signedBy stays null', async (t) => {
    const img = await image('no-keys', [])
    // Signed all the same: the store must not even look.
    await signImage(registry, { repository: img.repository, digest: img.digest, signatures: [{ key: release }] })
    const from = proxy.requests.length
    const v = await check(img.code)
    t.match(v, { status: 'testing', digest: img.digest, signedBy: null })
    t.ok(proxy.requests.length > from, 'the check went through the proxy')
    t.same(signatureLookups(from), [], 'no referrers or .sig request')
    const passed = (await versionEvents(app, img.code)).find((e) => e.action === 'version.check_passed')
    t.equal((passed?.details as { signedBy?: unknown }).signedBy, null)
  })

  await t.test('keys removed from an image: the next check no longer requires a signature', async (t) => {
    const img = await image('keys-removed', KEYS)
    t.match(await check(img.code), { status: 'check_failed', checkClass: 'unsigned' })
    const patched = await app.call({ method: 'PATCH', url: `/v1/images/${img.code}`, payload: { signatureKeys: [] } })
    t.equal(patched.statusCode, 200)
    const from = proxy.requests.length
    t.equal((await action(app, img.code, '1.0.0', 'recheck')).statusCode, 202)
    t.match(await waitForCheck(app, img.code, '1.0.0', 60_000), { status: 'testing', signedBy: null })
    t.same(signatureLookups(from), [])
  })

  await t.test('a registry failure during the lookup is retried, not judged unsigned', async (t) => {
    const img = await image('lookup-down', KEYS)
    await signImage(registry, { repository: img.repository, digest: img.digest, signatures: [{ key: release }] })
    proxy.failSignatureLookups = true
    t.teardown(() => {
      proxy.failSignatureLookups = false
    })
    await submit(app, img.code, { registry: proxy.host, repository: img.repository, tag: 'v1' })
    const retried = await waitForRetry(app, img.code)
    t.match(retried, { status: 'checking', checkClass: 'unavailable' }, 'still checking, a transient class')
    proxy.failSignatureLookups = false
    const v = await waitForCheck(app, img.code, '1.0.0', 60_000)
    t.match(v, { status: 'testing', checkClass: null })
    t.same(v.signedBy, { key: 'release', fingerprint: fingerprint(release) }, 'the next attempt found the signature')
    const actions = (await versionEvents(app, img.code)).map((e) => e.action)
    t.notOk(actions.includes('version.check_failed'))
    t.ok(actions.includes('version.check_retry_scheduled'))
  })
})

/** Waits until the version records a failed attempt that will be retried. */
async function waitForRetry(app: TestApp, code: string) {
  const deadline = Date.now() + 60_000
  for (;;) {
    const v = await getVersion(app, code, '1.0.0')
    if (v.checkClass !== null || v.status !== 'checking' || Date.now() > deadline) return v
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
