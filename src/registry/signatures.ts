// Finding the signatures of a pinned digest in the registry it came from, through the check's own
// session (same credential, same repository scope). Only the registry's failures are thrown (5xx, 429
// and network errors make the check transient; a refusal is classified as for the image). Anything
// wrong with the signatures themselves is a finding.
import {
  evaluateSignatures,
  readReferrers,
  readSignatureManifest,
  shortDigest,
  COSIGN_SIGNATURE_ARTIFACT_TYPE,
  type SignatureCandidate,
  type SignatureLookup
} from '../signatures/index.js'
import { computeDigest } from './digest.js'
import { BodyTooLargeError, headerValue, type HttpResponse } from './http-transport.js'
import { MANIFEST_ACCEPT, MEDIA_TYPES } from './manifest.js'
import type { SignatureFindings, SignatureKeyRef } from './outcome.js'
import { UnexpectedStatusError } from './registry-auth.js'
import type { RegistrySession } from './registry-session.js'

// Bounds on what one lookup fetches, so a repository stuffed with signatures cannot make a check
// expensive: a real payload is a few hundred bytes and an image has a handful of signatures.
export const MAX_SIGNATURE_MANIFESTS = 4
export const MAX_SIGNATURES = 16
export const MAX_PAYLOAD_BYTES = 64 * 1024

/**
 * What one lookup usually sends for an image signed once, for a request budget: the referrers API, the
 * signature manifest, its payload (an unsigned image costs one fewer; each further signature one more).
 */
export const EXPECTED_SIGNATURE_LOOKUP_REQUESTS = 3

/** 404/400/405/406: the registry does not know the referrers endpoint (distribution 2.x, older Harbor). */
const REFERRERS_UNSUPPORTED = new Set([400, 404, 405, 406])
// The image itself was just read with the same token, so a refusal here gates only this endpoint;
// the tag scheme may still answer.
const REFERRERS_REFUSED = new Set([401, 403])

/** Answers that say nothing about the signatures, only about the registry or the credential. */
function isRegistryFailure(status: number): boolean {
  return status >= 500 || status === 429 || status === 401 || status === 403
}

interface LookupTarget {
  session: RegistrySession
  repository: string
  scope: string
  digest: string
}

export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`
}

async function get(target: LookupTarget, path: string, accept?: string): Promise<HttpResponse | 'too_large'> {
  try {
    const request = { method: 'GET' as const, path: `/v2/${target.repository}/${path}`, scope: target.scope, readBody: true }
    return await target.session.request(accept === undefined ? request : { ...request, accept })
  } catch (error) {
    if (error instanceof BodyTooLargeError) return 'too_large'
    throw error
  }
}

/** Digests of cosign signature manifests attached through the referrers API, or why it gave none. */
async function referrers(target: LookupTarget): Promise<string[] | { unusable: string }> {
  const query = `?artifactType=${encodeURIComponent(COSIGN_SIGNATURE_ARTIFACT_TYPE)}`
  const response = await get(target, `referrers/${target.digest}${query}`, MEDIA_TYPES.ociIndex)
  if (response === 'too_large') return { unusable: 'answer too large' }
  if (REFERRERS_UNSUPPORTED.has(response.status)) return { unusable: 'not offered by the registry' }
  if (REFERRERS_REFUSED.has(response.status)) return { unusable: `refused with HTTP ${response.status}` }
  if (response.status !== 200) throw new UnexpectedStatusError('manifest', response)
  return readReferrers(response.body ?? Buffer.alloc(0)) ?? { unusable: 'not offered by the registry' }
}

async function payloadOf(
  target: LookupTarget,
  digest: string,
  size: number
): Promise<Pick<SignatureCandidate, 'payload' | 'payloadProblem'>> {
  if (size > MAX_PAYLOAD_BYTES) return { payload: undefined, payloadProblem: `is larger than ${MAX_PAYLOAD_BYTES} bytes` }
  const response = await get(target, `blobs/${digest}`)
  if (response === 'too_large') return { payload: undefined, payloadProblem: `is larger than its descriptor says` }
  if (isRegistryFailure(response.status)) throw new UnexpectedStatusError('config', response)
  if (response.status === 404) return { payload: undefined, payloadProblem: 'is missing from the registry' }
  if (response.status !== 200) return { payload: undefined, payloadProblem: `could not be fetched (HTTP ${response.status})` }
  const body = response.body ?? Buffer.alloc(0)
  if (computeDigest(body, digest) !== digest) return { payload: undefined, payloadProblem: 'does not match its digest' }
  return { payload: body }
}

/** The candidates one signature manifest holds, or the problem that makes it unreadable. */
async function candidatesIn(target: LookupTarget, reference: string, source: string, lookup: SignatureLookup): Promise<'absent' | 'read'> {
  const response = await get(target, `manifests/${reference}`, MANIFEST_ACCEPT)
  if (response === 'too_large') {
    lookup.problems.push(`the signature manifest in the ${source} is too large to read`)
    return 'read'
  }
  if (isRegistryFailure(response.status)) throw new UnexpectedStatusError('manifest', response)
  if (response.status === 404) return 'absent'
  if (response.status !== 200) {
    lookup.problems.push(`the signature manifest in the ${source} could not be fetched (HTTP ${response.status})`)
    return 'read'
  }
  const body = response.body ?? Buffer.alloc(0)
  const named = reference.includes(':') ? reference : headerValue(response.headers, 'docker-content-digest')
  if (named !== undefined && computeDigest(body, named) !== named) {
    lookup.problems.push(`the signature manifest in the ${source} does not match its digest`)
    return 'read'
  }
  const manifest = readSignatureManifest(body)
  if ('problem' in manifest) {
    lookup.problems.push(`the signature manifest in the ${source} ${manifest.problem}`)
    return 'read'
  }
  for (const layer of manifest.layers) {
    if (lookup.candidates.length >= MAX_SIGNATURES) {
      lookup.problems.push(`signatures beyond the first ${MAX_SIGNATURES} were not examined`)
      break
    }
    const payload = await payloadOf(target, layer.digest, layer.size)
    lookup.candidates.push({ source, payloadDigest: layer.digest, signature: layer.signature, ...payload })
  }
  return 'read'
}

/**
 * Looks in the referrers API first, then (when it found no valid signature there) in cosign's tag
 * scheme, which cosign still writes by default even to registries that have the referrers API.
 */
export async function lookUpSignatures(
  session: RegistrySession,
  repository: string,
  digest: string,
  keys: readonly SignatureKeyRef[]
): Promise<SignatureFindings> {
  const target: LookupTarget = { session, repository, scope: `repository:${repository}:pull`, digest }
  const lookup: SignatureLookup = { searched: [], candidates: [], problems: [] }

  const listed = await referrers(target)
  if (!Array.isArray(listed)) lookup.searched.push(`the referrers API (${listed.unusable})`)
  else {
    lookup.searched.push('the referrers API')
    if (listed.length > MAX_SIGNATURE_MANIFESTS) {
      lookup.problems.push(`signature manifests beyond the first ${MAX_SIGNATURE_MANIFESTS} were not examined`)
    }
    for (const manifest of listed.slice(0, MAX_SIGNATURE_MANIFESTS)) {
      const read = await candidatesIn(target, manifest, 'referrers API', lookup)
      if (read === 'absent') lookup.problems.push(`the referrer ${shortDigest(manifest)} is listed but missing`)
    }
    const findings = evaluateSignatures(digest, keys, lookup)
    if (findings.signedBy !== null) return findings
  }

  const tag = signatureTag(digest)
  const tagName = `tag ${shortDigest(digest).replace(':', '-')}.sig`
  lookup.searched.push(`the ${tagName}`)
  await candidatesIn(target, tag, tagName, lookup)
  return evaluateSignatures(digest, keys, lookup)
}
