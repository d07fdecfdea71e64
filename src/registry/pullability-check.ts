// The check itself. HEAD comes first because a failing HEAD costs nothing against Docker Hub's pull
// limit; the GET follows because size and platforms live in the body, and hashing the body is the
// only digest we can trust (the header may be missing, or name one platform of a multi-arch tag).
import type { HttpResponse } from './http-transport.js'
import { headerValue } from './http-transport.js'
import type { Credential } from './registry-auth.js'
import { UnexpectedStatusError } from './registry-auth.js'
import type { ImageReference } from './reference.js'
import { withSession, type RegistrySession, type SessionDependencies } from './registry-session.js'
import { MANIFEST_ACCEPT, parseManifest, platformFromConfig } from './manifest.js'
import { verifyDigest } from './digest.js'
import type { PullableOutcome, SignatureKeyRef } from './outcome.js'
import { lookUpSignatures } from './signatures.js'

export interface CheckDependencies extends SessionDependencies {
  onDigestDisagreement?: (headDigest: string, bodyDigest: string) => void
}

function expectOk(response: HttpResponse, phase: 'manifest' | 'config'): Buffer {
  if (response.status !== 200) throw new UnexpectedStatusError(phase, response)
  return response.body ?? Buffer.alloc(0)
}

export async function checkImage(
  deps: CheckDependencies,
  ref: ImageReference,
  credential: Credential | undefined,
  signal: AbortSignal,
  signatureKeys: readonly SignatureKeyRef[] = []
): Promise<PullableOutcome> {
  return withSession(deps, ref, credential, signal, async (session) => {
    const outcome = await pull(deps, ref, session)
    if (signatureKeys.length === 0) return outcome
    return { ...outcome, signature: await lookUpSignatures(session, ref.repository, outcome.digest, signatureKeys) }
  })
}

async function pull(deps: CheckDependencies, ref: ImageReference, session: RegistrySession): Promise<PullableOutcome> {
  await session.ping()
  const scope = `repository:${ref.repository}:pull`
  // Docker pulls `latest` when a reference names neither tag nor digest.
  const path = `/v2/${ref.repository}/manifests/${ref.digest ?? ref.tag ?? 'latest'}`

  const head = await session.request({ method: 'HEAD', path, scope, accept: MANIFEST_ACCEPT })
  // 405: a registry without HEAD support; the GET below gives the answer instead.
  if (head.status !== 200 && head.status !== 405) throw new UnexpectedStatusError('manifest', head)
  const got = await session.request({ method: 'GET', path, scope, accept: MANIFEST_ACCEPT, readBody: true })
  const body = expectOk(got, 'manifest')

  // A pinned reference is checked against the caller's digest, otherwise against the registry's.
  const digest = verifyDigest(body, ref.digest ?? headerValue(got.headers, 'docker-content-digest'), 'manifest')
  const headDigest = headerValue(head.headers, 'docker-content-digest')
  if (headDigest !== undefined && headDigest !== digest) deps.onDigestDisagreement?.(headDigest, digest)

  const manifest = parseManifest(body, headerValue(got.headers, 'content-type'))
  const { mediaType } = manifest
  if (manifest.kind === 'index') {
    return { ok: true, digest, mediaType, platforms: manifest.platforms, size: manifest.size }
  }
  const config = await session.request({
    method: 'GET',
    path: `/v2/${ref.repository}/blobs/${manifest.config.digest}`,
    scope,
    readBody: true
  })
  const configBody = expectOk(config, 'config')
  verifyDigest(configBody, manifest.config.digest, 'image config')
  return { ok: true, digest, mediaType, platforms: [platformFromConfig(configBody)], size: manifest.size }
}
