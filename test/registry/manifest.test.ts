import t from 'tap'
import {
  InvalidManifestError,
  MANIFEST_ACCEPT,
  MEDIA_TYPES,
  bareMediaType,
  parseManifest,
  platformFromConfig
} from '../../src/registry/manifest.js'
import { DigestMismatchError, computeDigest, verifyDigest } from '../../src/registry/digest.js'
import { parseRetryAfter } from '../../src/registry/retry-after.js'

const d = (n: number): string => `sha256:${String(n).repeat(64).slice(0, 64)}`
const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))

t.test('an image manifest: size is config + layers', async (t) => {
  const parsed = parseManifest(
    body({
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.dockerManifest,
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: d(1), size: 100 },
      layers: [
        { digest: d(2), size: 1000 },
        { digest: d(3), size: 24 }
      ]
    }),
    'application/vnd.docker.distribution.manifest.v2+json'
  )
  t.same(parsed, {
    kind: 'image',
    mediaType: MEDIA_TYPES.dockerManifest,
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: d(1), size: 100 },
    size: 1124
  })
})

t.test('an index: platforms without unknown/unknown, size of the listed manifests', async (t) => {
  const parsed = parseManifest(
    body({
      schemaVersion: 2,
      manifests: [
        { digest: d(1), size: 500, platform: { os: 'linux', architecture: 'amd64' } },
        { digest: d(2), size: 501, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
        { digest: d(3), size: 566, platform: { os: 'unknown', architecture: 'unknown' } }
      ]
    }),
    'application/vnd.oci.image.index.v1+json; charset=utf-8'
  )
  t.same(parsed, {
    kind: 'index',
    mediaType: MEDIA_TYPES.ociIndex,
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' }
    ],
    size: 1567
  })
})

t.test('infers the type from the body when the header is generic', async (t) => {
  const parsed = parseManifest(body({ schemaVersion: 2, config: { digest: d(1), size: 1 }, layers: [] }), 'application/octet-stream')
  t.equal(parsed.mediaType, MEDIA_TYPES.ociManifest)
})

t.test('rejects what a runtime cannot pull', async (t) => {
  const invalid = (value: unknown, type: string | undefined, pattern: RegExp): void => {
    t.throws(() => parseManifest(Buffer.isBuffer(value) ? value : body(value), type), { name: 'InvalidManifestError', message: pattern })
  }
  invalid({ schemaVersion: 1, name: 'a', tag: 'b' }, 'application/vnd.docker.distribution.manifest.v1+prettyjws', /schema version 2/)
  invalid(Buffer.from('<html>'), MEDIA_TYPES.ociManifest, /not valid JSON/)
  invalid([1, 2], MEDIA_TYPES.ociManifest, /not a JSON object/)
  invalid({ schemaVersion: 2, mediaType: 'application/vnd.example+json' }, undefined, /media type application\/vnd.example\+json/)
  invalid(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', digest: d(1), size: 1 },
      layers: []
    },
    undefined,
    /artifact/
  )
  invalid({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { digest: d(1) }, layers: [] }, undefined, /malformed config/)
  invalid({ schemaVersion: 2, mediaType: MEDIA_TYPES.ociManifest, config: { digest: d(1), size: 1 } }, undefined, /no layers/)
  invalid(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociIndex,
      manifests: [{ digest: d(1), size: 1, platform: { os: 'unknown', architecture: 'unknown' } }]
    },
    undefined,
    /no runnable platform/
  )
  invalid({ schemaVersion: 2, mediaType: MEDIA_TYPES.dockerList }, undefined, /no manifests list/)
  // Values PostgreSQL could not store: the check's outcome would fail to be recorded, again and again.
  const index = (entry: object) => ({
    schemaVersion: 2,
    mediaType: MEDIA_TYPES.ociIndex,
    manifests: [{ digest: d(1), size: 1, platform: { os: 'linux', architecture: 'amd64' }, ...entry }]
  })
  invalid(index({ size: 1.5 }), undefined, /malformed index entry/)
  invalid(index({ size: 1e300 }), undefined, /malformed index entry/)
  invalid(index({ platform: { os: 'linux', architecture: 'amd\u000064' } }), undefined, /NUL character/)
  invalid(
    {
      ...index({}),
      manifests: [index({}).manifests[0], { digest: d(2), size: Number.MAX_SAFE_INTEGER, platform: { os: 'linux', architecture: 'arm64' } }]
    },
    undefined,
    /impossible size/
  )
  invalid(
    {
      schemaVersion: 2,
      mediaType: MEDIA_TYPES.ociManifest,
      config: { digest: d(1), size: 1 },
      layers: [{ digest: d(2), size: Number.MAX_SAFE_INTEGER }]
    },
    undefined,
    /impossible size/
  )
  t.throws(() => platformFromConfig(body({ os: 'linux\u0000', architecture: 'amd64' })), {
    name: 'InvalidManifestError',
    message: /NUL character/
  })
})

t.test('reads the platform of a single image from its config', async (t) => {
  t.same(platformFromConfig(body({ os: 'linux', architecture: 'arm64', variant: 'v8', rootfs: {} })), {
    os: 'linux',
    architecture: 'arm64',
    variant: 'v8'
  })
  t.throws(() => platformFromConfig(body({ rootfs: {} })), InvalidManifestError)
})

t.test('media types and the Accept list', async (t) => {
  t.equal(bareMediaType('Application/JSON; charset=utf-8'), 'application/json')
  t.equal(bareMediaType(undefined), undefined)
  for (const type of Object.values(MEDIA_TYPES)) t.match(MANIFEST_ACCEPT, type)
})

t.test('digests', async (t) => {
  const data = Buffer.from('hello')
  t.equal(computeDigest(data), 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')
  t.equal(verifyDigest(data, undefined, 'manifest'), 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824')
  const sha512 = computeDigest(data, 'sha512:')
  t.match(sha512, /^sha512:[a-f0-9]{128}$/)
  t.equal(verifyDigest(data, sha512, 'manifest'), sha512, 'verified with the algorithm of the expected digest')
  t.throws(() => verifyDigest(data, d(1), 'manifest'), DigestMismatchError)
})

t.test('Retry-After in seconds or as an HTTP date', async (t) => {
  const now = Date.parse('2030-01-01T00:00:00Z')
  t.equal(parseRetryAfter('120', now), 120_000)
  t.equal(parseRetryAfter(['3'], now), 3000)
  t.equal(parseRetryAfter('Tue, 01 Jan 2030 00:00:30 GMT', now), 30_000)
  t.equal(parseRetryAfter('Mon, 31 Dec 2029 00:00:00 GMT', now), 0, 'a past date means now')
  t.equal(parseRetryAfter('soon', now), undefined)
  t.equal(parseRetryAfter(undefined, now), undefined)
})
