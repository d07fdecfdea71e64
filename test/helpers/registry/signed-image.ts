/**
 * Signs a pushed test image as cosign's keyed mode does: a simple-signing payload naming the digest,
 * signed with a key the test generated (ECDSA P-256 over SHA-256 with a DER signature, or Ed25519),
 * pushed as a blob and referenced from a signature manifest whose layer carries the base64 signature
 * in the `dev.cosignproject.cosign/signature` annotation. The manifest goes under cosign's tag
 * `sha256-<hex>.sig`, or, with `scheme: 'referrer'`, by digest with a `subject` (OCI 1.1 referrers).
 * Options build bad signatures on purpose: another key, a payload naming another digest, a corrupted
 * signature, several signatures in one manifest.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import type { RigRegistry } from './start-registry.js'
import { authorization, expectStatus, uploadBlob } from './push-image.js'
import type { RigUser } from './token-server.js'
import { content, RIG_MEDIA_TYPES, type Content } from './image-content.js'

export const COSIGN_MEDIA_TYPES = {
  payload: 'application/vnd.dev.cosign.simplesigning.v1+json',
  artifact: 'application/vnd.dev.cosign.artifact.sig.v1+json',
  empty: 'application/vnd.oci.empty.v1+json'
} as const
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'

export type TestKeyAlgorithm = 'ecdsa-p256' | 'ed25519'

export interface TestKeyPair {
  algorithm: TestKeyAlgorithm
  privateKey: KeyObject
  /** PEM SPKI, what a publisher registers with the image. */
  publicKeyPem: string
}

export function generateTestKeyPair(algorithm: TestKeyAlgorithm): TestKeyPair {
  const pair = algorithm === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { algorithm, privateKey: pair.privateKey, publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

export interface SignatureSpec {
  key: TestKeyPair
  /** The digest the payload names; defaults to the signed image's. */
  namesDigest?: string
  /** Flip a byte of the signature so it no longer verifies. */
  corrupt?: boolean
}

export interface SignImageOptions {
  repository: string
  /** The digest being signed (a pushed image's). */
  digest: string
  signatures: SignatureSpec[]
  /** `tag` (cosign's default) or `referrer` (an artifact manifest with a subject, pushed by digest). */
  scheme?: 'tag' | 'referrer'
  /** Defaults to the registry's first user when it needs auth. */
  credential?: RigUser
}

export interface SignedImage {
  /** Digest of the signature manifest. */
  manifestDigest: string
  /** The descriptor a referrers index lists for it. */
  descriptor: { mediaType: string; digest: string; size: number; artifactType: string }
  /** `sha256-<hex>.sig` for the tag scheme. */
  tag: string | undefined
  /** The payload blobs, in layer order. */
  payloads: Content[]
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value))
async function pushHeaders(registry: RigRegistry, repository: string, credential: RigUser | undefined): Promise<Record<string, string>> {
  const auth = await authorization(registry, repository, credential, 'pull,push,delete')
  return auth === undefined ? {} : { authorization: auth }
}

/** The simple-signing payload as cosign writes it. */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return json({
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': digest },
      type: 'cosign container image signature'
    },
    optional: null
  })
}

export function signPayload(key: TestKeyPair, payload: Buffer): Buffer {
  return key.algorithm === 'ed25519'
    ? sign(null, payload, key.privateKey)
    : sign('sha256', payload, { key: key.privateKey, dsaEncoding: 'der' })
}

async function subjectDescriptor(
  registry: RigRegistry,
  repository: string,
  digest: string,
  headers: Record<string, string>
): Promise<object> {
  const accept = [RIG_MEDIA_TYPES.ociIndex, RIG_MEDIA_TYPES.ociManifest, RIG_MEDIA_TYPES.dockerList, RIG_MEDIA_TYPES.dockerManifest].join(
    ', '
  )
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${digest}`, { method: 'HEAD', headers: { ...headers, accept } })
  await expectStatus(res, 200, `reading the subject ${digest}`)
  return { mediaType: res.headers.get('content-type'), digest, size: Number(res.headers.get('content-length')) }
}

export async function signImage(registry: RigRegistry, options: SignImageOptions): Promise<SignedImage> {
  const headers = await pushHeaders(registry, options.repository, options.credential)
  const reference = `${registry.host}/${options.repository}`
  const layers = options.signatures.map((spec) => {
    const payload = content(COSIGN_MEDIA_TYPES.payload, simpleSigningPayload(reference, spec.namesDigest ?? options.digest))
    const signature = signPayload(spec.key, payload.data)
    if (spec.corrupt === true) signature[signature.length - 1] = (signature[signature.length - 1] ?? 0) ^ 0xff
    return { payload, signature: signature.toString('base64') }
  })
  const referrer = options.scheme === 'referrer'
  // cosign's config for the tag scheme: an empty image whose rootfs lists the payloads.
  const config = referrer
    ? content(COSIGN_MEDIA_TYPES.empty, Buffer.from('{}'))
    : content(
        RIG_MEDIA_TYPES.ociConfig,
        json({
          architecture: '',
          created: '0001-01-01T00:00:00Z',
          history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
          os: '',
          rootfs: { type: 'layers', diff_ids: layers.map((l) => l.payload.digest) },
          config: {}
        })
      )
  for (const blob of [config, ...layers.map((l) => l.payload)]) await uploadBlob(registry.url, options.repository, blob, headers)
  const manifest = content(
    RIG_MEDIA_TYPES.ociManifest,
    json({
      schemaVersion: 2,
      mediaType: RIG_MEDIA_TYPES.ociManifest,
      ...(referrer ? { artifactType: COSIGN_MEDIA_TYPES.artifact } : {}),
      config: { mediaType: config.mediaType, size: config.size, digest: config.digest },
      layers: layers.map(({ payload, signature }) => ({
        mediaType: payload.mediaType,
        size: payload.size,
        digest: payload.digest,
        annotations: { [COSIGN_SIGNATURE_ANNOTATION]: signature }
      })),
      ...(referrer ? { subject: await subjectDescriptor(registry, options.repository, options.digest, headers) } : {})
    })
  )
  const tag = referrer ? undefined : `${options.digest.replace(':', '-')}.sig`
  const res = await fetch(`${registry.url}/v2/${options.repository}/manifests/${tag ?? manifest.digest}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': manifest.mediaType },
    body: manifest.data
  })
  await expectStatus(res, 201, `putting the signature manifest of ${options.digest}`)
  return {
    manifestDigest: manifest.digest,
    descriptor: { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size, artifactType: COSIGN_MEDIA_TYPES.artifact },
    tag,
    payloads: layers.map((l) => l.payload)
  }
}

/** Deletes a manifest by digest with the registry's delete API (the rig enables deletes). */
export async function deleteManifest(registry: RigRegistry, repository: string, digest: string, credential?: RigUser): Promise<void> {
  const headers = await pushHeaders(registry, repository, credential)
  const res = await fetch(`${registry.url}/v2/${repository}/manifests/${digest}`, { method: 'DELETE', headers })
  await expectStatus(res, 202, `deleting ${repository}@${digest}`)
}
