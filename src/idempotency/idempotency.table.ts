import type { ColumnType } from 'kysely'

export interface IdempotencyKeysTable {
  tokenId: string
  key: string
  scope: string
  requestHash: string
  responseStatus: number
  responseHeaders: ColumnType<Record<string, string>, string, never>
  responseBody: ColumnType<unknown, string, never>
  createdAt: ColumnType<Date, never, never>
}
