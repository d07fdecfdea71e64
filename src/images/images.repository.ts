import { sql, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import type { ImageRow, ImageUpdate, NewImage } from './images.table.js'

// Every column but the generated search vector, which only where clauses use.
export const IMAGE_COLUMNS = [
  'id',
  'code',
  'name',
  'ownerProject',
  'debugProject',
  'credentialId',
  'summary',
  'description',
  'labels',
  'visibilityPublic',
  'visibilityProjects',
  'signatureKeys',
  'approval',
  'minTestingTime',
  'revision',
  'lastReleasedAt',
  'createdAt',
  'createdBy',
  'updatedAt'
] as const
export type ImageRecord = Omit<ImageRow, 'search'>

export async function insertImage(db: Db, image: NewImage): Promise<ImageRecord> {
  return db.insertInto('images').values(image).returning(IMAGE_COLUMNS).executeTakeFirstOrThrow()
}

export async function findImageByCode(db: Db, code: string): Promise<ImageRecord | undefined> {
  return db.selectFrom('images').select(IMAGE_COLUMNS).where('code', '=', code).executeTakeFirst()
}

export async function findImageById(db: Db, id: string): Promise<ImageRecord | undefined> {
  return db.selectFrom('images').select(IMAGE_COLUMNS).where('id', '=', id).executeTakeFirst()
}

export async function lockImageByCode(trx: Transaction<DB>, code: string): Promise<ImageRecord | undefined> {
  return trx.selectFrom('images').select(IMAGE_COLUMNS).where('code', '=', code).forUpdate().executeTakeFirst()
}

/** Compare-and-set: applies only if the image is still at `revision`; undefined otherwise. */
export async function updateImageAtRevision(db: Db, id: string, revision: number, set: ImageUpdate): Promise<ImageRecord | undefined> {
  return db
    .updateTable('images')
    .set((eb) => ({ ...set, revision: eb('revision', '+', 1), updatedAt: sql<Date>`now()` }))
    .where('id', '=', id)
    .where('revision', '=', revision)
    .returning(IMAGE_COLUMNS)
    .executeTakeFirst()
}

export async function deleteImageById(db: Db, id: string): Promise<void> {
  await db.deleteFrom('images').where('id', '=', id).execute()
}

/** The time of the image's newest release (the list sorts by it); in the release's transaction. */
export async function markImageReleased(db: Db, imageId: string, at: Date): Promise<void> {
  await db.updateTable('images').set({ lastReleasedAt: at }).where('id', '=', imageId).execute()
}

/** Codes of the images whose own credential this is (at most `limit`, by code). */
export async function findImageCodesWithCredential(db: Db, credentialId: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('images').select('code').where('credentialId', '=', credentialId).orderBy('code').limit(limit).execute()
  return rows.map((r) => r.code)
}
