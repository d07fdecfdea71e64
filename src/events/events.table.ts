import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

export interface ImageEventsTable {
  id: Generated<number>
  /** The image's id; the image may since have been deleted (no foreign key: the outbox keeps its events). */
  imageId: string
  imageCode: string
  action: string
  actor: string
  actorTokenId: string | null
  actorProjects: string[] | null
  version: string | null
  versionId: string | null
  digest: string | null
  details: ColumnType<Record<string, unknown>, string | Record<string, unknown>, never>
  requestId: string | null
  createdAt: ColumnType<Date, never, never>
}

export type ImageEventRow = Selectable<ImageEventsTable>
export type NewImageEvent = Insertable<ImageEventsTable>
