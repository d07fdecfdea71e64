import type { ColumnType, Generated, Insertable, Selectable } from 'kysely'

export interface ImageEventsTable {
  id: Generated<number>
  /**
   * The image's id; the image may since have been deleted (no foreign key: the outbox keeps its
   * events). Null for an event that concerns no image (webhook.disabled).
   */
  imageId: ColumnType<string | null, string | null, never>
  imageCode: ColumnType<string | null, string | null, never>
  action: string
  actor: string
  actorTokenId: string | null
  actorProjects: string[] | null
  version: string | null
  versionId: string | null
  digest: string | null
  /** Who may see the event when the image is gone: the owner project at the time. */
  ownerProject: string | null
  /** Version events: the tag, registry/repository@digest and platforms at the time. */
  tag: string | null
  pinnedReference: string | null
  platforms: ColumnType<unknown[] | null, string | null, never>
  details: ColumnType<Record<string, unknown>, string | Record<string, unknown>, never>
  requestId: string | null
  createdAt: ColumnType<Date, never, never>
}

export type ImageEventRow = Selectable<ImageEventsTable>
export type NewImageEvent = Insertable<ImageEventsTable>
