import { sql } from 'kysely'
import type { Db } from '../db/schema.js'
import type { Principal } from '../auth/scopes.js'
import type { ImageEventRow } from './events.table.js'

export interface ImageEvent {
  /** `ownerProject` only when the image row is already gone (image.deleted); otherwise it is read. */
  image: { id: string; code: string; ownerProject?: string }
  /** A dotted type: image.associated, image.updated, version.submitted, version.released, … */
  action: string
  /** A token (by id, with the projects it acted for), or the service itself (tokenId null). */
  actor: Pick<Principal, 'name' | 'tokenId' | 'projects'> | { name: string; tokenId: null; projects: null }
  /** The version concerned, for version events. */
  version?: { id: string; number: string; digest: string | null }
  details?: Record<string, unknown>
  requestId?: string | undefined
}

// Events are numbered in the order their transactions commit: every insert takes this lock, held
// until the commit, so no event can get a smaller id and commit later. A reader of the outbox that
// has seen event N has seen every event before it (the catalog feed's cursor, webhook dispatch).
// Changes are made at human pace; resolve writes no events.
const EVENT_ORDER_LOCK = sql`select pg_advisory_xact_lock(hashtext('ci-image-store:event-order'))`

/** An event of a project that concerns no image (e.g. webhook.disabled). */
export interface ProjectEvent {
  /** Who may see it besides admins; null = admins only. */
  ownerProject: string | null
  action: string
  actor: ImageEvent['actor']
  details?: Record<string, unknown>
  requestId?: string | undefined
}

/** Appends an event that concerns no image, in the transaction of its change, in commit order. */
export async function insertProjectEvent(db: Db, event: ProjectEvent): Promise<number> {
  await EVENT_ORDER_LOCK.execute(db)
  const row = await db
    .insertInto('imageEvents')
    .values({
      imageId: null,
      imageCode: null,
      action: event.action,
      actor: event.actor.name,
      actorTokenId: event.actor.tokenId,
      actorProjects: event.actor.projects,
      version: null,
      versionId: null,
      digest: null,
      ownerProject: event.ownerProject,
      details: JSON.stringify(event.details ?? {}),
      requestId: event.requestId ?? null
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

/**
 * Appends one event; call it inside the transaction that makes the change. Returns its id. What a
 * consumer needs later is copied from the image and version rows as they are now (the owner
 * project, the tag, the pinned reference, the platforms), so the event still says it when those
 * rows have changed or gone.
 */
export async function insertEvent(db: Db, event: ImageEvent): Promise<number> {
  await EVENT_ORDER_LOCK.execute(db)
  const versionId = event.version?.id ?? null
  const digest = event.version?.digest ?? null
  const ofVersion = (column: 'tag' | 'platforms') =>
    versionId === null ? null : sql<never>`(select ${sql.ref(column)} from image_versions where id = ${versionId})`
  const row = await db
    .insertInto('imageEvents')
    .values({
      imageId: event.image.id,
      imageCode: event.image.code,
      action: event.action,
      actor: event.actor.name,
      actorTokenId: event.actor.tokenId,
      actorProjects: event.actor.projects,
      version: event.version?.number ?? null,
      versionId,
      digest,
      ownerProject: event.image.ownerProject ?? sql<string>`(select owner_project from images where id = ${event.image.id})`,
      tag: ofVersion('tag'),
      platforms: ofVersion('platforms'),
      pinnedReference:
        versionId === null || digest === null
          ? null
          : sql<string>`(select registry || '/' || repository || '@' || ${digest} from image_versions where id = ${versionId})`,
      details: JSON.stringify(event.details ?? {}),
      requestId: event.requestId ?? null
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return Number(row.id)
}

// Progress reports of a check still under way: in the outbox, not in the audit trail, which keeps
// the verdicts.
const NOT_AUDITED = ['version.check_retry_scheduled']

/** An image's audit trail: newest first, keyset-paged on id. */
export async function listEvents(db: Db, imageId: string, limit: number, beforeId?: number): Promise<ImageEventRow[]> {
  let query = db
    .selectFrom('imageEvents')
    .selectAll()
    .where('imageId', '=', imageId)
    .where('action', 'not in', NOT_AUDITED)
    .orderBy('id', 'desc')
    .limit(limit)
  if (beforeId !== undefined) query = query.where('id', '<', beforeId)
  return query.execute()
}
