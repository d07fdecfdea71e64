import { sql, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import type { ImageRow, ImageUpdate, NewImage } from './images.table.js'


// Every column but the generated search vector, which only where clauses use.
const COLUMNS = [
  'id', 'code', 'name', 'ownerProject', 'debugProject', 'credentialId', 'summary', 'description', 'labels', 'visibilityPublic',
  'visibilityProjects', 'revision', 'lastReleasedAt', 'createdAt', 'createdBy', 'updatedAt'
] as const
export type ImageRecord = Omit<ImageRow, 'search'>

export async function insertImage(db: Db, image: NewImage): Promise<ImageRecord> {
  return db.insertInto('images').values(image).returning(COLUMNS).executeTakeFirstOrThrow()
}

export async function findImageByCode(db: Db, code: string): Promise<ImageRecord | undefined> {
  return db.selectFrom('images').select(COLUMNS).where('code', '=', code).executeTakeFirst()
}

export async function lockImageByCode(trx: Transaction<DB>, code: string): Promise<ImageRecord | undefined> {
  return trx.selectFrom('images').select(COLUMNS).where('code', '=', code).forUpdate().executeTakeFirst()
}

/** Compare-and-set: applies only if the image is still at `revision`; undefined otherwise. */
export async function updateImageAtRevision(db: Db, id: string, revision: number, set: ImageUpdate): Promise<ImageRecord | undefined> {
  return db
    .updateTable('images')
    .set((eb) => ({ ...set, revision: eb('revision', '+', 1), updatedAt: sql<Date>`now()` }))
    .where('id', '=', id)
    .where('revision', '=', revision)
    .returning(COLUMNS)
    .executeTakeFirst()
}

export async function deleteImageById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('images').where('id', '=', id).execute()
}

/** Released or withdrawn versions are in someone's pipeline history: the image must stay. */
export async function hasPublishedVersions(db: Db, imageId: string): Promise<boolean> {
  const row = await db
    .selectFrom('imageVersions')
    .select('id')
    .where('imageId', '=', imageId)
    .where('status', 'in', ['released', 'withdrawn'])
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

export interface ReleasedVersion {
  major: number
  minor: number
  patch: number
  releasedAt: Date | null
}
export interface InProgressVersion {
  major: number
  minor: number
  patch: number
  status: 'checking' | 'check_failed' | 'testing'
}

/** Per major line, its highest released version; and the versions in progress. */
export async function findLineVersions(db: Db, imageId: string): Promise<{ released: ReleasedVersion[]; inProgress: InProgressVersion[] }> {
  const [released, inProgress] = await Promise.all([
    db
      .selectFrom('imageVersions')
      .distinctOn('major')
      .select(['major', 'minor', 'patch', 'releasedAt'])
      .where('imageId', '=', imageId)
      .where('status', '=', 'released')
      .orderBy('major', 'desc')
      .orderBy('minor', 'desc')
      .orderBy('patch', 'desc')
      .execute(),
    db
      .selectFrom('imageVersions')
      .select(['major', 'minor', 'patch', 'status'])
      .where('imageId', '=', imageId)
      .where('status', 'in', ['checking', 'check_failed', 'testing'])
      .orderBy('major', 'desc')
      .orderBy('minor', 'desc')
      .orderBy('patch', 'desc')
      .execute()
  ])
  return { released, inProgress: inProgress as InProgressVersion[] }
}
