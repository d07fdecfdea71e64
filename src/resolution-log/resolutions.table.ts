import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

/**
 * The resolution log, written in batches: one row per resolution handed out, or per run of identical
 * ones folded while they waited (see resolutionCoalescing).
 */
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
  /** How many identical resolutions the row stands for. */
  count: Generated<number>
  firstResolvedAt: ColumnType<Date, Date | string, never>
  /** The last of them. */
  resolvedAt: ColumnType<Date, Date | string, never>
}

export type ResolutionRow = Selectable<ResolutionsTable>
export type NewResolution = Insertable<ResolutionsTable>
