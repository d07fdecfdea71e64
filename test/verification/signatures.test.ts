// Re-verification of a version whose image requires signatures: the signature is looked up again
// (through a proxy adding the OCI 1.1 referrers API, then cosign's .sig tag) and judged against the
// image's keys; a version whose signature is gone or by another key becomes unavailable.
import t from 'tap'
import { build } from '../helpers/app.js'
import { deleteManifest, generateTestKeyPair, pushImage, signImage, startReferrersProxy } from '../helpers/registry/index.js'
import { action, createImage, registryEnv, startTestRegistry, submit, waitForCheck } from '../versions/fixtures.js'
import { eventsOf, verifyNow, versionRow, waitFor } from './fixtures.js'

const release = generateTestKeyPair('ecdsa-p256')
const stranger = generateTestKeyPair('ed25519')

t.test('a signed release stays available while validly signed, and only then', async (t) => {
  const registry = await startTestRegistry(t)
  const proxy = await startReferrersProxy(registry)
  t.teardown(proxy.stop)
  const app = await build(t, { env: { ...registryEnv(registry, proxy), VERIFY_INTERVAL: '1h', CHECK_POLL_INTERVAL_MS: '100' } })
  const repository = 'team/signed'
  const pushed = await pushImage(registry, { repository, tag: '1.0', kind: 'oci-image' })
  const first = await signImage(registry, { repository, digest: pushed.digest, signatures: [{ key: release }] })
  await createImage(app, { code: 'signed' })
  const keyed = await app.call({
    method: 'PATCH',
    url: '/v1/images/signed',
    payload: { signatureKeys: [{ name: 'release', publicKey: release.publicKeyPem }] },
    headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"r1"' }
  })
  t.equal(keyed.statusCode, 200, keyed.body)
  t.equal((await submit(app, 'signed', { registry: proxy.host, repository, tag: '1.0' })).statusCode, 202)
  t.match(await waitForCheck(app, 'signed', '1.0.0', 30_000), { status: 'testing', digest: pushed.digest })
  t.equal((await action(app, 'signed', '1.0.0', 'release')).statusCode, 200)

  const verifiedOnce = async () => {
    const before = (await versionRow(app, 'signed')).verifiedAt?.getTime() ?? 0
    t.equal((await verifyNow(app, 'signed')).statusCode, 202)
    return waitFor('a verification', async () => {
      const row = await versionRow(app, 'signed')
      return (row.verifiedAt?.getTime() ?? 0) > before ? row : undefined
    })
  }

  const signed = await verifiedOnce()
  t.match(signed, { signedBy: 'release', signedByFingerprint: /^sha256:[0-9a-f]{64}$/, unavailableSince: null })
  t.same(await eventsOf(app, 'signed', 'version.unavailable'), [], 'a valid signature: nothing to say')

  // The signature is replaced by one of a key the image does not list.
  await deleteManifest(registry, repository, first.manifestDigest)
  await signImage(registry, { repository, digest: pushed.digest, signatures: [{ key: stranger }] })
  const unsigned = await verifiedOnce()
  t.match(unsigned, {
    signedBy: null,
    signedByFingerprint: null,
    unavailableReason: /^no valid signature by "release" \(sha256:[0-9a-f]{12}…\): /
  })
  t.ok(unsigned.unavailableSince, 'unavailable')
  const [unavailable] = await eventsOf(app, 'signed', 'version.unavailable')
  t.match(unavailable, { actor: 'verification-worker', details: { status: 'released', cause: 'signature_invalid', reason: /release/ } })

  await signImage(registry, { repository, digest: pushed.digest, signatures: [{ key: release }] })
  const again = await verifiedOnce()
  t.match(again, { signedBy: 'release', unavailableSince: null, unavailableReason: null })
  t.match(await eventsOf(app, 'signed', 'version.available'), [{ details: { status: 'released' } }])
})
