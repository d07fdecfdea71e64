// Re-verification of a pinned version: is the tag still where it was, and is the pinned digest still
// there? HEAD only, so a verification never counts as a pull (Docker Hub counts manifest GETs).
import type { HttpTransport } from './http-transport.js'
import { headerValue } from './http-transport.js'
import type { Credential } from './registry-auth.js'
import { UnexpectedStatusError } from './registry-auth.js'
import type { ImageReference } from './reference.js'
import { withSession, type SessionDependencies } from './registry-session.js'
import { MANIFEST_ACCEPT } from './manifest.js'
import type { SignatureFindings, SignatureKeyRef } from './outcome.js'
import { lookUpSignatures } from './signatures.js'

export type VerifyDependencies = SessionDependencies

export interface PinnedFindings {
  ok: true
  /**
   * The digest the tag points at now; null when the registry answered 404 for the tag, undefined when
   * it answered 200 without a Docker-Content-Digest header (nothing can be said about drift).
   */
  tagDigest: string | null | undefined
  /** false when the registry answered 404 for the pinned digest. */
  digestPresent: boolean
  /** Present when keys were given and the pinned digest is present. */
  signature?: SignatureFindings
}

/** Counts what a verification sends (token requests included), for the request budget and metrics. */
export function countingTransport(transport: HttpTransport): { transport: HttpTransport; sent: () => number } {
  let sent = 0
  return {
    transport: (request) => {
      sent += 1
      return transport(request)
    },
    sent: () => sent
  }
}

/** HEADs the tag and the pinned digest, then looks up signatures when keys are given. Throws what the transport or the session throws; the client classifies it. */
export async function verifyPinned(
  deps: VerifyDependencies,
  ref: ImageReference,
  digest: string,
  credential: Credential | undefined,
  signal: AbortSignal,
  signatureKeys: readonly SignatureKeyRef[] = []
): Promise<PinnedFindings> {
  return withSession(deps, ref, credential, signal, async (session) => {
    await session.ping()
    const scope = `repository:${ref.repository}:pull`
    const head = (reference: string) =>
      session.request({ method: 'HEAD', path: `/v2/${ref.repository}/manifests/${reference}`, scope, accept: MANIFEST_ACCEPT })

    const tag = await head(ref.tag ?? 'latest')
    if (tag.status !== 200 && tag.status !== 404) throw new UnexpectedStatusError('manifest', tag)
    const pinned = await head(digest)
    if (pinned.status !== 200 && pinned.status !== 404) throw new UnexpectedStatusError('manifest', pinned)
    const findings: PinnedFindings = {
      ok: true,
      tagDigest: tag.status === 404 ? null : headerValue(tag.headers, 'docker-content-digest'),
      digestPresent: pinned.status === 200
    }
    if (findings.digestPresent && signatureKeys.length > 0) {
      findings.signature = await lookUpSignatures(session, ref.repository, digest, signatureKeys)
    }
    return findings
  })
}
