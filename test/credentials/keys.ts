// Fixed test keys (never used outside tests): A and B for rotation, in both accepted spellings.
import { createHash } from 'node:crypto'

export const KEY_A_HEX = 'a'.repeat(8) + '0123456789abcdef'.repeat(3) + 'b'.repeat(8)
export const KEY_B_BASE64 = Buffer.alloc(32, 7).toString('base64')
export const KEY_C_BASE64URL = Buffer.from('c'.repeat(32)).toString('base64url')

/** The key id the service must record: first 16 hex characters of sha256(key bytes). */
export const keyIdOf = (key: Buffer): string => createHash('sha256').update(key).digest('hex').slice(0, 16)
export const KEY_A_ID = keyIdOf(Buffer.from(KEY_A_HEX, 'hex'))
export const KEY_B_ID = keyIdOf(Buffer.from(KEY_B_BASE64, 'base64'))

/** The env every test app of these features needs on PostgreSQL. */
export const WITH_KEY = { CREDENTIALS_KEY: KEY_A_HEX }
