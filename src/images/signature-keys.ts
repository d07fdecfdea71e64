// The public keys an image requires signatures by, as given in a request: parsed, judged and
// brought to the stored shape. Pure; the crypto is node's, through src/signatures.
import { badRequest, type ProblemError } from '../http/problem.js'
import { InvalidSignatureKeyError, parseSignatureKey } from '../signatures/index.js'
import type { StoredSignatureKey } from './images.table.js'

export interface SignatureKeyInput {
  name: string
  publicKey: string
}

export const invalidSignatureKey = (keyName: string, hint: string): ProblemError =>
  badRequest('INVALID_SIGNATURE_KEY', `Signature key "${keyName}" was refused: ${hint}. Nothing was changed.`, { keyName, hint })

/** Every key parsed, or the problem of the first bad one; names and keys must each appear once. */
export function parseImageSignatureKeys(inputs: readonly SignatureKeyInput[]): StoredSignatureKey[] {
  const keys: StoredSignatureKey[] = []
  for (const input of inputs) {
    if (keys.some((key) => key.name === input.name)) {
      throw invalidSignatureKey(input.name, 'another key of this image already has this name; give each key its own name')
    }
    let key: StoredSignatureKey
    try {
      // Pasted keys often come indented (from YAML, a chat); the PEM reader wants BEGIN at a line start.
      key = parseSignatureKey(input.name, input.publicKey.trim())
    } catch (error) {
      if (error instanceof InvalidSignatureKeyError) throw invalidSignatureKey(error.keyName, error.hint)
      throw error
    }
    // The same key under two names would make "signed by" ambiguous and adds nothing.
    const twin = keys.find((other) => other.fingerprint === key.fingerprint)
    if (twin) {
      throw invalidSignatureKey(input.name, `it is the same public key as "${twin.name}" (${key.fingerprint}); give each key once`)
    }
    keys.push(key)
  }
  return keys
}

/** What the audit trail and equality look at: whole PEMs would only bloat the events. */
export const keyIdentities = (keys: readonly StoredSignatureKey[]) => keys.map(({ name, fingerprint }) => ({ name, fingerprint }))

export function sameKeys(a: readonly StoredSignatureKey[], b: readonly StoredSignatureKey[]): boolean {
  return a.length === b.length && a.every((key, i) => key.name === b[i]?.name && key.fingerprint === b[i]?.fingerprint)
}

/** The view of a key: what it is and how to recognise it, besides the key itself. */
export const toSignatureKeyView = ({ name, algorithm, fingerprint, publicKey }: StoredSignatureKey) => ({
  name,
  algorithm,
  fingerprint,
  publicKey
})
