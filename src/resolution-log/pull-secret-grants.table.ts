import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

/** Every pull secret handed out: who got which credential, for what, and when. */
export interface PullSecretGrantsTable {
  id: Generated<number>
  credentialId: string
  imageId: string
  /** 'M.m.p' */
  version: string
  project: string
  pipeline: string | null
  build: string | null
  tokenId: string
  tokenName: string
  grantedAt: ColumnType<Date, Date | string, never>
}

export type PullSecretGrantRow = Selectable<PullSecretGrantsTable>
export type NewPullSecretGrant = Insertable<PullSecretGrantsTable>
