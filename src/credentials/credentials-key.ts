import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ConfigError, splitList } from '../config.js'

/** A 256-bit AES key and its id (what each ciphertext records, so rotation knows which key opens it). */
export interface CredentialKey {
  id: string
  key: Buffer
}

/** The key that seals new secrets, and every key that may open stored ones (current included). */
export interface CredentialKeyRing {
  current: CredentialKey
  byId: ReadonlyMap<string, CredentialKey>
}

export interface KeySource {
  key?: string | undefined
  oldKeys?: string | undefined
  databaseKind: 'postgres' | 'embedded'
  dataDir: string
}

export const KEY_FILE_NAME = 'credentials.key'
const HOW_TO = 'generate one with `openssl rand -base64 32`'

// The id is public (stored beside every ciphertext): a prefix of a hash of a 256-bit random key
// tells nothing about the key itself.
export function credentialKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16)
}

/** 32 bytes as 64 hex characters or as base64 (standard or URL-safe); anything else names `variable`. */
export function parseCredentialKey(value: string, variable: string): CredentialKey {
  const text = value.trim()
  let key: Buffer | undefined
  if (/^[0-9a-fA-F]{64}$/.test(text)) key = Buffer.from(text, 'hex')
  else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) key = Buffer.from(text, 'base64')
  // Never echo the value: it is (or was meant to be) a secret.
  if (key?.length !== 32) {
    throw new ConfigError(
      `Invalid configuration: ${variable} must be 32 bytes written as base64 (44 characters) or as 64 hex characters, got ${text.length} characters; ${HOW_TO}.`
    )
  }
  return { id: credentialKeyId(key), key }
}

function ring(current: CredentialKey, others: CredentialKey[]): CredentialKeyRing {
  const byId = new Map<string, CredentialKey>()
  for (const k of [current, ...others]) byId.set(k.id, k)
  return { current, byId }
}

function readKeyFile(path: string): CredentialKey | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  return parseCredentialKey(text, path)
}

// 'wx' makes two processes starting at once agree on one key: the loser reads the winner's file.
function createKeyFile(path: string): CredentialKey {
  const key = randomBytes(32)
  try {
    writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(path) as CredentialKey
    throw error
  }
  return { id: credentialKeyId(key), key }
}

export interface LoadedKeys {
  keys: CredentialKeyRing
  /** Set when the key lives in (or was just written to) DATA_DIR rather than in the environment. */
  keyFile?: { path: string; generated: boolean }
}

/**
 * CREDENTIALS_KEY seals, CREDENTIALS_OLD_KEYS only open. Without a key, the embedded database gets
 * one generated once into DATA_DIR; PostgreSQL refuses, because replicas would each generate their
 * own and could not read each other's secrets.
 */
export function loadCredentialKeys(source: KeySource): LoadedKeys {
  const old = splitList(source.oldKeys ?? '').map((value, i) => parseCredentialKey(value, `CREDENTIALS_OLD_KEYS (entry ${i + 1})`))
  const path = join(resolve(source.dataDir), KEY_FILE_NAME)
  if (source.key) {
    const current = parseCredentialKey(source.key, 'CREDENTIALS_KEY')
    // A key generated earlier on the embedded database keeps opening what it sealed after an
    // operator sets CREDENTIALS_KEY, so `credentials:reencrypt` can move those rows over.
    const fromFile = source.databaseKind === 'embedded' ? readKeyFile(path) : undefined
    return { keys: ring(current, fromFile ? [...old, fromFile] : old) }
  }
  if (source.databaseKind === 'postgres') {
    throw new ConfigError(
      `Invalid configuration: CREDENTIALS_KEY is required with DATABASE_URL (every replica must share one key to read registry credentials); ${HOW_TO}.`
    )
  }
  const existing = readKeyFile(path)
  if (existing) return { keys: ring(existing, old), keyFile: { path, generated: false } }
  mkdirSync(resolve(source.dataDir), { recursive: true, mode: 0o700 })
  return { keys: ring(createKeyFile(path), old), keyFile: { path, generated: true } }
}

/**
 * The checks of loadCredentialKeys that need neither the database nor DATA_DIR, so the entry point
 * can refuse a bad or missing key before anything is migrated or written.
 */
export function checkCredentialKeys(source: Omit<KeySource, 'dataDir'>): void {
  splitList(source.oldKeys ?? '').forEach((value, i) => parseCredentialKey(value, `CREDENTIALS_OLD_KEYS (entry ${i + 1})`))
  if (source.key) parseCredentialKey(source.key, 'CREDENTIALS_KEY')
  else if (source.databaseKind === 'postgres') loadCredentialKeys({ ...source, dataDir: '.' })
}
