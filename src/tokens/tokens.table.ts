import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

export interface ApiTokensTable {
  id: Generated<string>
  name: string
  tokenHash: string
  tokenPrefix: string
  scopes: string[]
  projects: string[] | null
  expiresAt: Date | null
  createdAt: ColumnType<Date, never, never>
  createdBy: string | null
  lastUsedAt: Date | null
  revokedAt: Date | null
  bootstrap: Generated<boolean>
}

export type ApiTokenRow = Selectable<ApiTokensTable>
export type NewApiToken = Insertable<ApiTokensTable>
export type ApiTokenUpdate = Updateable<ApiTokensTable>
