// Whether a pullable image also meets its image's signature requirement. Pure: the registry client
// has already looked the signatures up and judged them against the keys it was given.
import type { StoredSignatureKey } from '../images/images.table.js'
import type { SignatureFindings } from '../registry/index.js'

export type SignatureVerdict =
  | { kind: 'pass'; signedBy: { name: string; fingerprint: string } | null }
  | { kind: 'unsigned'; reason: string }
  /** The image's keys were edited while the check ran: its findings answer another question. */
  | { kind: 'keys_changed'; reason: string }

const fingerprintSet = (fingerprints: readonly string[]) => [...fingerprints].sort().join(',')

// A keyed signature does not carry its public key, so the reason can only name the keys that were
// tried; their short fingerprints let a publisher compare with `cosign public-key` output.
const keyNames = (keys: readonly StoredSignatureKey[]) =>
  keys.map((key) => `"${key.name}" (${key.fingerprint.slice(0, 'sha256:'.length + 12)}…)`).join(', ')

/**
 * `keys` are the image's keys now (read under the version's lock); `checkedWith` the fingerprints of
 * the keys the check was given.
 */
export function signatureVerdict(
  keys: readonly StoredSignatureKey[],
  checkedWith: readonly string[],
  findings: SignatureFindings | undefined
): SignatureVerdict {
  if (fingerprintSet(keys.map((key) => key.fingerprint)) !== fingerprintSet(checkedWith)) {
    return { kind: 'keys_changed', reason: "the image's signature keys changed during the check; checking again with the new keys" }
  }
  if (keys.length === 0) return { kind: 'pass', signedBy: null }
  const signer = findings?.signedBy && keys.find((key) => key.fingerprint === findings.signedBy?.fingerprint)
  // Named as the image names the key now: a rename since the lookup must not show the old name.
  if (signer) return { kind: 'pass', signedBy: { name: signer.name, fingerprint: signer.fingerprint } }
  const found = findings?.summary ?? 'the signatures were not looked up'
  return { kind: 'unsigned', reason: `no valid signature by ${keyNames(keys)}: ${found}` }
}
