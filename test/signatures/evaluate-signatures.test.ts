// The judging of candidates, without a registry: real signatures made here with generated keys, and
// every way a candidate can fall short named in the summary.
import t from 'tap'
import {
  evaluateSignatures,
  parseSignatureKey,
  readReferrers,
  readSignatureManifest,
  type SignatureCandidate
} from '../../src/signatures/index.js'
import { generateTestKeyPair, signPayload, simpleSigningPayload, type TestKeyPair } from '../helpers/registry/index.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const OTHER = `sha256:${'b'.repeat(64)}`
const ecdsa = generateTestKeyPair('ecdsa-p256')
const ed25519 = generateTestKeyPair('ed25519')
const stranger = generateTestKeyPair('ed25519')
const KEYS = [parseSignatureKey('first', ecdsa.publicKeyPem), parseSignatureKey('second', ed25519.publicKeyPem)]
const TAG = { searched: ['the referrers API', 'the tag sha256-aaaaaaaaaaaa….sig'], problems: [] }

function candidate(key: TestKeyPair, payload = simpleSigningPayload('registry.test/team/app', DIGEST)): SignatureCandidate {
  return { source: 'tag sha256-aaaaaaaaaaaa….sig', payloadDigest: OTHER, payload, signature: signPayload(key, payload).toString('base64') }
}

t.test('a valid signature by either algorithm names its key', async (t) => {
  t.same(evaluateSignatures(DIGEST, KEYS, { ...TAG, candidates: [candidate(ecdsa)] }), {
    signedBy: { name: 'first', fingerprint: KEYS[0]!.fingerprint },
    summary: '1 signature found (tag sha256-aaaaaaaaaaaa….sig): one valid by key "first"'
  })
  t.same(evaluateSignatures(DIGEST, KEYS, { ...TAG, candidates: [candidate(ed25519)] }).signedBy, {
    name: 'second',
    fingerprint: KEYS[1]!.fingerprint
  })
})

t.test("with several valid signatures the image's first key wins, whatever the registry's order", async (t) => {
  const findings = evaluateSignatures(DIGEST, KEYS, { ...TAG, candidates: [candidate(ed25519), candidate(ecdsa)] })
  t.equal(findings.signedBy?.name, 'first')
  t.equal(findings.summary, '2 signatures found (tag sha256-aaaaaaaaaaaa….sig): one valid by key "second", one valid by key "first"')
})

t.test('nothing found: the summary says where the store looked, and the manifest problems', async (t) => {
  t.same(evaluateSignatures(DIGEST, KEYS, { ...TAG, candidates: [] }), {
    signedBy: null,
    summary: 'no signatures found (looked in the referrers API and the tag sha256-aaaaaaaaaaaa….sig)'
  })
  const withProblem = evaluateSignatures(DIGEST, KEYS, {
    searched: ['the tag x.sig'],
    candidates: [],
    problems: ['the signature manifest in the tag x.sig is not a JSON object']
  })
  t.equal(
    withProblem.summary,
    'no signatures found (looked in the tag x.sig); the signature manifest in the tag x.sig is not a JSON object'
  )
})

t.test('each way a signature falls short is named, and none of them counts', async (t) => {
  const good = candidate(ecdsa)
  const corrupted = Buffer.from(good.signature!, 'base64')
  corrupted[10] = (corrupted[10] ?? 0) ^ 1
  const otherType = Buffer.from(good.payload!.toString().replace('cosign container image signature', 'atomic container signature'))
  const cases: [string, SignatureCandidate, string][] = [
    ['unknown key', candidate(stranger), "one by none of the image's keys (payload sha256:bbbbbbbbbbbb…)"],
    ['corrupted', { ...good, signature: corrupted.toString('base64') }, "one by none of the image's keys (payload sha256:bbbbbbbbbbbb…)"],
    [
      'another digest',
      candidate(ecdsa, simpleSigningPayload('registry.test/team/app', OTHER)),
      'one by key "first" whose payload names sha256:bbbbbbbbbbbb…, not the pinned digest'
    ],
    ['no annotation', { ...good, signature: undefined }, 'one without a signature annotation'],
    ['not base64', { ...good, signature: 'not base64!' }, 'one whose signature annotation is not base64'],
    [
      'payload missing',
      { ...good, payload: undefined, payloadProblem: 'is missing from the registry' },
      'one whose payload is missing from the registry'
    ],
    ['payload not JSON', candidate(ecdsa, Buffer.from('{"critical":')), 'one whose payload is not JSON'],
    [
      'payload of another type',
      candidate(ecdsa, otherType),
      'one whose payload is of type "atomic container signature", not "cosign container image signature"'
    ],
    [
      'payload without digest',
      candidate(ecdsa, Buffer.from('{"critical":{"type":"cosign container image signature","image":{}}}')),
      'one whose payload names no docker-manifest-digest'
    ]
  ]
  for (const [name, bad, described] of cases) {
    const findings = evaluateSignatures(DIGEST, KEYS, { ...TAG, candidates: [bad] })
    t.equal(findings.signedBy, null, name)
    t.equal(findings.summary, `1 signature found (tag sha256-aaaaaaaaaaaa….sig): ${described}`, name)
  }
  const mixed = evaluateSignatures(DIGEST, KEYS, { ...TAG, candidates: [candidate(stranger), good] })
  t.equal(mixed.signedBy?.name, 'first', 'one valid among bad ones is enough')
})

t.test("the digest key is matched as cosign's Go decoder matches it (case-insensitively)", async (t) => {
  const payload = Buffer.from(
    JSON.stringify({ Critical: { Identity: {}, Image: { 'Docker-manifest-digest': DIGEST }, Type: 'cosign container image signature' } })
  )
  t.equal(evaluateSignatures(DIGEST, KEYS, { ...TAG, candidates: [candidate(ed25519, payload)] }).signedBy?.name, 'second')
})

t.test('reading referrers answers and signature manifests', async (t) => {
  const sig = {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: DIGEST,
    size: 10,
    artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json'
  }
  const sbom = { ...sig, digest: OTHER, artifactType: 'application/spdx+json' }
  const index = (value: unknown) => Buffer.from(JSON.stringify(value))
  t.same(
    readReferrers(index({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [sig, sbom] })),
    [DIGEST],
    'other artifacts are left out'
  )
  t.same(readReferrers(index({ schemaVersion: 2, manifests: [] })), [])
  t.equal(readReferrers(Buffer.from('<html>404</html>')), undefined, 'not an index: no referrers API')
  t.equal(readReferrers(index({ mediaType: 'application/vnd.oci.image.manifest.v1+json', manifests: [] })), undefined)

  const layer = { mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json', digest: DIGEST, size: 250 }
  t.same(
    readSignatureManifest(
      index({
        layers: [
          { ...layer, annotations: { 'dev.cosignproject.cosign/signature': 'MEUC' } },
          { ...layer, digest: OTHER },
          { ...layer, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
          { ...layer, digest: 'sha256:short' }
        ]
      })
    ),
    {
      layers: [
        { digest: DIGEST, size: 250, signature: 'MEUC' },
        { digest: OTHER, size: 250, signature: undefined }
      ]
    }
  )
  t.same(readSignatureManifest(Buffer.from('[]')), { problem: 'is not a JSON object' })
  t.same(readSignatureManifest(index({ config: {} })), { problem: 'has no layers' })
})
