import type { Db } from '../db/schema.js'
import type { Principal } from '../auth/scopes.js'
import type { ImageEventRow } from './events.table.js'

export interface ImageEvent {
  image: { id: string; code: string }
  /** A dotted type: image.associated, image.updated, version.submitted, version.released, … */
  action: string
  /** A token (by id, with the projects it acted for), or the service itself (tokenId null). */
  actor: Pick<Principal, 'name' | 'tokenId' | 'projects'> | { name: string; tokenId: null; projects: null }
  /** The version concerned, for version events. */
  version?: { id: string; number: string; digest: string | null }
  details?: Record<string, unknown>
  requestId?: string | undefined
}

/** Appends one event; call it inside the transaction that makes the change. Returns its id. */
export async function insertEvent(db: Db, event: ImageEvent): Promise<number> {
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
      versionId: event.version?.id ?? null,
      digest: event.version?.digest ?? null,
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
