import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

export interface ImagesTable {
  id: Generated<string>
  code: string
  name: string
  ownerProject: string
  debugProject: string
  credentialId: string | null
  summary: string | null
  description: string | null
  labels: Generated<string[]>
  visibilityPublic: Generated<boolean>
  visibilityProjects: Generated<string[]>
  revision: Generated<number>
  lastReleasedAt: Date | null
  createdAt: ColumnType<Date, never, never>
  createdBy: string
  updatedAt: ColumnType<Date, never, Date>
  /** Generated tsvector over code, name and summary; only used in where clauses. */
  search: ColumnType<unknown, never, never>
}

export type ImageRow = Selectable<ImagesTable>
export type NewImage = Insertable<ImagesTable>
export type ImageUpdate = Updateable<ImagesTable>
