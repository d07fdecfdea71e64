import type { Db } from '../db/schema.js'
import type { Principal } from '../auth/scopes.js'
import type { ImageEventRow } from './events.table.js'


export interface ImageEvent {
  imageId: string
  /** e.g. image.associated, image.updated, version.submitted, version.released */
  action: string
  /** A token (by id, with the projects it acted for), or the service itself (tokenId null). */
  actor: Pick<Principal, 'name' | 'tokenId' | 'projects'> | { name: string; tokenId: null; projects: null }
  /** 'M.m.p' for version events. */
  version?: string
  details?: Record<string, unknown>
  requestId?: string
}

/** Appends to an image's audit trail; call it inside the transaction that makes the change. */
export async function recordEvent(db: Db, event: ImageEvent): Promise<void> {
  await db
    .insertInto('imageEvents')
    .values({
      imageId: event.imageId,
      action: event.action,
      actor: event.actor.name,
      actorTokenId: event.actor.tokenId,
      actorProjects: event.actor.projects,
      version: event.version ?? null,
      details: JSON.stringify(event.details ?? {}),
      requestId: event.requestId ?? null
    })
    .execute()
}

/** Newest first, keyset-paged on id. */
export async function listEvents(db: Db, imageId: string, limit: number, beforeId?: number): Promise<ImageEventRow[]> {
  let query = db.selectFrom('imageEvents').selectAll().where('imageId', '=', imageId).orderBy('id', 'desc').limit(limit)
  if (beforeId !== undefined) query = query.where('id', '<', beforeId)
  return query.execute()
}
