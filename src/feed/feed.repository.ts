import { sql } from 'kysely'
import type { Db } from '../db/schema.js'
import type { ImageEventRow } from '../events/events.table.js'
import { visibleToAny } from '../images/image-listing.js'

export interface FeedFilter {
  /** Only events after this one (the consumer's cursor). */
  afterId: number
  /** null: every event (admin, tokens for every project); otherwise those these projects may see. */
  projects: string[] | null
  imageCodes: string[]
  types: string[]
  since?: Date | undefined
  until?: Date | undefined
}

// Progress reports of a check under way are the outbox's own business, as in an image's trail.
const NOT_PUBLISHED = ['version.check_retry_scheduled']

/**
 * Events oldest first after a position. Ids follow commit order (events.repository.ts), so a reader
 * that stores the last id it saw never misses an event that commits later. An event is visible to
 * a set of projects when its image still exists and one of them may see it (the images' rule), or
 * when its owner project at the time is one of them (the image is gone, or it concerns no image).
 */
export async function readFeed(db: Db, filter: FeedFilter, limit: number): Promise<ImageEventRow[]> {
  let query = db
    .selectFrom('imageEvents')
    .selectAll('imageEvents')
    .where('imageEvents.id', '>', filter.afterId)
    .where('imageEvents.action', 'not in', NOT_PUBLISHED)
    .orderBy('imageEvents.id')
    .limit(limit)
  if (filter.imageCodes.length > 0) query = query.where('imageEvents.imageCode', 'in', filter.imageCodes)
  if (filter.types.length > 0) query = query.where('imageEvents.action', 'in', filter.types)
  if (filter.since) query = query.where('imageEvents.createdAt', '>=', filter.since)
  if (filter.until) query = query.where('imageEvents.createdAt', '<', filter.until)
  const projects = filter.projects
  if (projects !== null) {
    query = query.where((eb) =>
      eb.or([
        eb('imageEvents.ownerProject', '=', eb.fn.any(sql<string[]>`${projects}::text[]`)),
        eb.exists(
          eb
            .selectFrom('images')
            .select(sql`1`.as('one'))
            .whereRef('images.id', '=', 'imageEvents.imageId')
            .where((images) => visibleToAny(images, projects))
        )
      ])
    )
  }
  return query.execute()
}
