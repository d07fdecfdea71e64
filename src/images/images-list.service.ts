import type { Database } from '../db/database.js'
import { isAdmin, requireScope, type Principal } from '../auth/scopes.js'
import { badRequest } from '../http/problem.js'
import { decodeCursor, keysetPage } from '../http/cursor.js'
import { searchTerms } from './image-search.js'
import { listImages, type ImageListAfter } from './image-listing.js'
import type { Image, ListImagesQuery } from './images.schemas.js'
import { toImage } from './images.service.js'

function after(query: ListImagesQuery): ImageListAfter | undefined {
  if (!query.cursor) return undefined
  if (query.sort === 'code') return { sort: 'code', code: decodeCursor(query.cursor, ['string'] as const)[0] }
  const [releasedKey, code] = decodeCursor(query.cursor, ['timestamp|null', 'string'] as const)
  return { sort: 'lastRelease', releasedKey, code }
}

export async function listImagesPage(
  db: Database,
  principal: Principal,
  query: ListImagesQuery
): Promise<{ items: Image[]; nextCursor: string | null }> {
  requireScope(principal, 'images:read')
  const terms = query.q === undefined ? [] : searchTerms(query.q)
  if (query.q !== undefined && terms.length === 0) {
    throw badRequest(
      'INVALID_SEARCH',
      'q has no word with a letter or digit to search for; give words from the code, name or summary, or omit q.'
    )
  }
  const filter = {
    searchTerms: terms,
    labels: query.label ?? [],
    project: query.project,
    visibleToAnyOf: isAdmin(principal) ? null : principal.projects
  }
  const rows = await listImages(db, filter, query.sort, query.limit + 1, after(query))
  return keysetPage(rows, query.limit, toImage, (last) => (query.sort === 'code' ? [last.code] : [last.releasedKey, last.code]))
}
