import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import { IMAGE_COLUMNS, type ImageRecord } from './images.repository.js'

export interface ImageFilter {
  /** to_tsquery inputs, all of which must match (see image-search.ts). */
  searchTerms: string[]
  labels: string[]
  /** Owned by, debugged in, or visible to this project. */
  project?: string | undefined
  /** The caller's projects when its token is limited to some; null = unrestricted. */
  visibleToAnyOf: string[] | null
}

/** Where the previous page ended, in the order of `sort`. */
export type ImageListAfter = { sort: 'code'; code: string } | { sort: 'lastRelease'; releasedKey: string | null; code: string }

export type ImageListRow = ImageRecord & { releasedKey: string | null }

// Same rule as isVisibleTo in image-access.ts, as SQL over a set of projects; qualified, so it also
// works inside a subquery of another table (the catalog feed's).
export function visibleToAny(eb: ExpressionBuilder<DB, 'images'>, projects: string[]): Expression<SqlBool>
export function visibleToAny(eb: ExpressionBuilder<DB, 'images' | 'imageEvents'>, projects: string[]): Expression<SqlBool>
export function visibleToAny(eb: ExpressionBuilder<DB, 'images'>, projects: string[]): Expression<SqlBool> {
  return eb.or([
    eb('images.visibilityPublic', '=', true),
    eb('images.ownerProject', '=', eb.fn.any(sql<string[]>`${projects}::text[]`)),
    eb('images.debugProject', '=', eb.fn.any(sql<string[]>`${projects}::text[]`)),
    eb('images.visibilityProjects', '&&', sql<string[]>`${projects}::text[]`)
  ])
}

// last_released_at with its full microseconds, as text: a JavaScript Date would round it to
// milliseconds and the keyset comparison would then skip or repeat rows.
const releasedKey = sql<string | null>`to_char(last_released_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

export async function listImages(
  db: Db,
  filter: ImageFilter,
  sort: 'code' | 'lastRelease',
  limit: number,
  after?: ImageListAfter
): Promise<ImageListRow[]> {
  let query = db
    .selectFrom('images')
    .select([...IMAGE_COLUMNS, releasedKey.as('releasedKey')])
    .limit(limit)
  for (const term of filter.searchTerms) query = query.where(sql<boolean>`search @@ to_tsquery('simple', ${term})`)
  if (filter.labels.length > 0) query = query.where('labels', '@>', sql<string[]>`${filter.labels}::text[]`)
  if (filter.project !== undefined) {
    const project = filter.project
    query = query.where((eb) => visibleToAny(eb, [project]))
  }
  if (filter.visibleToAnyOf !== null) {
    const projects = filter.visibleToAnyOf
    query = query.where((eb) => visibleToAny(eb, projects))
  }

  if (sort === 'code') {
    if (after) query = query.where('code', '>', after.code)
    return query.orderBy('code').execute()
  }
  if (after?.sort === 'lastRelease') {
    const at = after.releasedKey
    const code = after.code
    query = query.where((eb) =>
      at === null
        ? eb.and([eb('lastReleasedAt', 'is', null), eb('code', '>', code)])
        : eb.or([
            eb('lastReleasedAt', '<', sql<Date>`${at}::timestamptz`),
            eb.and([eb('lastReleasedAt', '=', sql<Date>`${at}::timestamptz`), eb('code', '>', code)]),
            eb('lastReleasedAt', 'is', null)
          ])
    )
  }
  return query
    .orderBy('lastReleasedAt', (ob) => ob.desc().nullsLast())
    .orderBy('code')
    .execute()
}
