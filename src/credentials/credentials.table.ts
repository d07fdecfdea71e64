import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

export interface RegistryCredentialsTable {
  id: Generated<string>
  project: string
  name: string
  description: string | null
  username: string
  /** Normalised registry hosts it may be sent to; empty = bound to nothing, never sent. */
  registries: string[]
  secretCiphertext: Buffer
  secretKeyId: string
  createdAt: ColumnType<Date, never, never>
  createdBy: string
  updatedAt: ColumnType<Date, never, Date>
  secretRotatedAt: Date | null
}

export type CredentialRow = Selectable<RegistryCredentialsTable>
export type NewCredential = Insertable<RegistryCredentialsTable>
export type CredentialUpdate = Updateable<RegistryCredentialsTable>
