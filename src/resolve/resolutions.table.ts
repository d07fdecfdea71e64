import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

/** The resolution log: one row per resolution handed out (written in batches). */
export interface ResolutionsTable {
  id: Generated<number>
  imageId: string
  spec: string
  /** 'M.m.p' */
  version: string
  status: string
  digest: string
  project: string
  pipeline: string | null
  build: string | null
  tokenId: string | null
  resolvedAt: ColumnType<Date, Date | string, never>
}

export type ResolutionRow = Selectable<ResolutionsTable>
export type NewResolution = Insertable<ResolutionsTable>
