// Judging what a lookup found against an image's keys. A signature counts only when its payload came
// intact (digest-checked), is a cosign signature of exactly the pinned digest, and verifies with one of
// the keys; everything else is named in the summary so a publisher can see what went wrong.
import type { SignatureFindings, SignatureKeyRef } from './signature-types.js'
import { readSimpleSigningPayload } from './simple-signing.js'
import { decodeSignature, signatureVerifies } from './verify-signature.js'

export interface SignatureCandidate {
  /** Where it was found, as the summary names it: "referrers API", "tag sha256-….sig". */
  source: string
  /** The payload blob's digest, as the signature manifest's layer names it. */
  payloadDigest: string
  /** The payload, digest-checked; undefined when it could not be had intact (payloadProblem says why). */
  payload: Buffer | undefined
  payloadProblem?: string
  /** The base64 signature annotation; undefined when the layer has none. */
  signature: string | undefined
}

export interface SignatureLookup {
  /** Where the store looked, in order, for the summary when nothing was found. */
  searched: string[]
  candidates: SignatureCandidate[]
  /** Signature manifests that could not be read at all. */
  problems: string[]
}

type Verdict =
  | { kind: 'valid'; key: SignatureKeyRef }
  | { kind: 'other_digest'; key: SignatureKeyRef; names: string }
  | { kind: 'unknown_key' }
  | { kind: 'unusable'; problem: string }

export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.split(':')
  return hex !== undefined && hex.length > 12 ? `${algorithm}:${hex.slice(0, 12)}…` : digest
}

function judge(candidate: SignatureCandidate, digest: string, keys: readonly SignatureKeyRef[]): Verdict {
  const { payload } = candidate
  if (payload === undefined) return { kind: 'unusable', problem: `whose payload ${candidate.payloadProblem ?? 'could not be read'}` }
  if (candidate.signature === undefined) return { kind: 'unusable', problem: 'without a signature annotation' }
  const signature = decodeSignature(candidate.signature)
  if (signature === undefined) return { kind: 'unusable', problem: 'whose signature annotation is not base64' }
  const reading = readSimpleSigningPayload(payload)
  if (!reading.ok) return { kind: 'unusable', problem: `whose payload ${reading.problem}` }
  const key = keys.find((k) => signatureVerifies(k, payload, signature))
  if (key === undefined) return { kind: 'unknown_key' }
  if (reading.manifestDigest !== digest) return { kind: 'other_digest', key, names: reading.manifestDigest }
  return { kind: 'valid', key }
}

function describe(verdict: Verdict, candidate: SignatureCandidate): string {
  switch (verdict.kind) {
    case 'valid':
      return `one valid by key "${verdict.key.name}"`
    case 'other_digest':
      return `one by key "${verdict.key.name}" whose payload names ${shortDigest(verdict.names)}, not the pinned digest`
    case 'unknown_key':
      return `one by none of the image's keys (payload ${shortDigest(candidate.payloadDigest)})`
    case 'unusable':
      return `one ${verdict.problem}`
  }
}

function joinAnd(parts: string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1] ?? ''}`
}

export function evaluateSignatures(digest: string, keys: readonly SignatureKeyRef[], lookup: SignatureLookup): SignatureFindings {
  const verdicts = lookup.candidates.map((candidate) => ({ candidate, verdict: judge(candidate, digest, keys) }))
  // The image's first key with a valid signature, so the answer does not depend on the registry's order.
  const signer = keys.find((key) => verdicts.some(({ verdict }) => verdict.kind === 'valid' && verdict.key === key))
  const problems = lookup.problems.length === 0 ? '' : `; ${lookup.problems.join('; ')}`
  if (verdicts.length === 0) {
    return { signedBy: null, summary: `no signatures found (looked in ${joinAnd(lookup.searched)})${problems}` }
  }
  const sources = [...new Set(lookup.candidates.map((c) => c.source))]
  const count = verdicts.length === 1 ? '1 signature' : `${verdicts.length} signatures`
  const described = verdicts.map(({ candidate, verdict }) => describe(verdict, candidate))
  return {
    signedBy: signer === undefined ? null : { name: signer.name, fingerprint: signer.fingerprint },
    summary: `${count} found (${sources.join(', ')}): ${described.join(', ')}${problems}`
  }
}
