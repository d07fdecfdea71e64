import { sql, type Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import { IN_PROGRESS_STATUSES } from './version-lifecycle.js'
import { formatVersion, type VersionNumber } from './version-number.js'
import type { ImageLocation } from './image-reference.js'
import type { NewVersion, VersionRow, VersionStatus, VersionUpdate } from './versions.table.js'

export async function findInProgressVersion(db: Db, imageId: string): Promise<VersionRow | undefined> {
  return db
    .selectFrom('imageVersions')
    .selectAll()
    .where('imageId', '=', imageId)
    .where('status', 'in', IN_PROGRESS_STATUSES)
    .executeTakeFirst()
}

export async function findReleasedAt(db: Db, imageId: string, at: ImageLocation): Promise<VersionRow | undefined> {
  return db
    .selectFrom('imageVersions')
    .selectAll()
    .where('imageId', '=', imageId)
    .where('status', '=', 'released')
    .where('registry', '=', at.registry)
    .where('repository', '=', at.repository)
    .where('tag', '=', at.tag)
    .executeTakeFirst()
}

/** The highest non-cancelled version of each major line. */
export async function findLineHeads(db: Db, imageId: string): Promise<VersionNumber[]> {
  return db
    .selectFrom('imageVersions')
    .distinctOn('major')
    .select(['major', 'minor', 'patch'])
    .where('imageId', '=', imageId)
    .where('status', '<>', 'cancelled')
    .orderBy('major', 'desc')
    .orderBy('minor', 'desc')
    .orderBy('patch', 'desc')
    .execute()
}

export async function insertVersion(db: Db, version: NewVersion): Promise<VersionRow> {
  return db.insertInto('imageVersions').values(version).returningAll().executeTakeFirstOrThrow()
}

/** A number names the non-cancelled version with it, else the newest cancelled one (numbers are reused after a cancel). */
export async function findVersionByNumber(
  db: Db,
  imageId: string,
  n: VersionNumber,
  options: { lock?: boolean } = {}
): Promise<VersionRow | undefined> {
  const query = db
    .selectFrom('imageVersions')
    .selectAll()
    .where('imageId', '=', imageId)
    .where('major', '=', n.major)
    .where('minor', '=', n.minor)
    .where('patch', '=', n.patch)
    .orderBy(sql`status = 'cancelled'`)
    .orderBy('submittedAt', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
  return (options.lock ? query.forUpdate() : query).executeTakeFirst()
}

export interface VersionPosition extends VersionNumber {
  submittedAt: Date
  id: string
}

export interface ListFilter {
  statuses?: VersionStatus[] | undefined
  line?: number | undefined
}

// Cursors carry milliseconds (JS dates); compare at that precision so a page never skips a row.
const submittedMs = sql<Date>`date_trunc('milliseconds', submitted_at)`

/** Newest first by number (then by submission, for reused numbers), keyset-paged. */
export async function listVersions(
  db: Db,
  imageId: string,
  filter: ListFilter,
  limit: number,
  after?: VersionPosition
): Promise<VersionRow[]> {
  let query = db
    .selectFrom('imageVersions')
    .selectAll()
    .where('imageId', '=', imageId)
    .orderBy('major', 'desc')
    .orderBy('minor', 'desc')
    .orderBy('patch', 'desc')
    .orderBy(submittedMs, 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
  if (filter.statuses?.length) query = query.where('status', 'in', filter.statuses)
  if (filter.line !== undefined) query = query.where('major', '=', filter.line)
  if (after) {
    query = query.where((eb) =>
      eb(
        eb.tuple(eb.ref('major'), eb.ref('minor'), eb.ref('patch'), submittedMs, eb.ref('id')),
        '<',
        eb.tuple(after.major, after.minor, after.patch, after.submittedAt, after.id)
      )
    )
  }
  return query.execute()
}

/** Compare-and-set: changes the version only if it is still in one of `from`; undefined otherwise. */
export async function updateVersionIfStatus(
  db: Db,
  id: string,
  from: readonly VersionStatus[],
  values: VersionUpdate
): Promise<VersionRow | undefined> {
  return db
    .updateTable('imageVersions')
    .set({ ...values, updatedAt: new Date() })
    .where('id', '=', id)
    .where('status', 'in', from)
    .returningAll()
    .executeTakeFirst()
}

/** Whether the image has (or had) this version number, in any status. */
export async function versionExists(db: Db, imageId: string, n: VersionNumber): Promise<boolean> {
  const row = await db
    .selectFrom('imageVersions')
    .select('id')
    .where('imageId', '=', imageId)
    .where('major', '=', n.major)
    .where('minor', '=', n.minor)
    .where('patch', '=', n.patch)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/** The version a check job is for, locked: its outcome is applied against its current status. */
export async function lockVersion(trx: Transaction<DB>, id: string): Promise<VersionRow | undefined> {
  return trx.selectFrom('imageVersions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

/** What the check worker needs of a version: where to pull it from, with which credential. */
export async function findVersionToCheck(db: Db, id: string) {
  return db
    .selectFrom('imageVersions')
    .select(['id', 'imageId', 'major', 'minor', 'patch', 'status', 'registry', 'repository', 'tag', 'credentialId'])
    .where('id', '=', id)
    .executeTakeFirst()
}

/** Released or withdrawn versions are in someone's pipeline history: their image must stay. */
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

export interface LineVersions {
  /** Per major line, its highest released version. */
  released: (VersionNumber & { releasedAt: Date | null })[]
  inProgress: (VersionNumber & { status: (typeof IN_PROGRESS_STATUSES)[number] })[]
}

export async function findLineVersions(db: Db, imageId: string): Promise<LineVersions> {
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
      .where('status', 'in', IN_PROGRESS_STATUSES)
      .orderBy('major', 'desc')
      .orderBy('minor', 'desc')
      .orderBy('patch', 'desc')
      .execute()
  ])
  return { released, inProgress: inProgress as LineVersions['inProgress'] }
}

/** Versions (of any image) that pull with this credential, by image code and number (at most `limit`). */
export async function findVersionsWithCredential(
  db: Db,
  credentialId: string,
  limit: number
): Promise<{ image: string; version: string }[]> {
  const rows = await db
    .selectFrom('imageVersions as v')
    .innerJoin('images as i', 'i.id', 'v.imageId')
    .select(['i.code', 'v.major', 'v.minor', 'v.patch'])
    .where('v.credentialId', '=', credentialId)
    .orderBy('i.code')
    .orderBy('v.major')
    .orderBy('v.minor')
    .orderBy('v.patch')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ image: r.code, version: formatVersion(r) }))
}

/** Versions not cancelled that pull with this credential from a registry outside `registries` (at most `limit`). */
export async function findVersionsOutside(
  db: Db,
  credentialId: string,
  registries: readonly string[],
  limit: number
): Promise<{ image: string; version: string; registry: string }[]> {
  let query = db
    .selectFrom('imageVersions as v')
    .innerJoin('images as i', 'i.id', 'v.imageId')
    .select(['i.code', 'v.major', 'v.minor', 'v.patch', 'v.registry'])
    .where('v.credentialId', '=', credentialId)
    .where('v.status', '<>', 'cancelled')
  if (registries.length > 0) query = query.where('v.registry', 'not in', registries)
  const rows = await query.orderBy('i.code').orderBy('v.major').orderBy('v.minor').orderBy('v.patch').limit(limit).execute()
  return rows.map((r) => ({ image: r.code, version: formatVersion(r), registry: r.registry }))
}

/** Images whose resolutions may carry this credential: it is theirs or one of their versions'. */
export async function findImagesPullingWith(db: Db, credentialId: string): Promise<{ id: string; code: string }[]> {
  return db
    .selectFrom('images')
    .select(['id', 'code'])
    .where((eb) =>
      eb.or([
        eb('credentialId', '=', credentialId),
        eb.exists(
          eb
            .selectFrom('imageVersions')
            .select('id')
            .whereRef('imageVersions.imageId', '=', 'images.id')
            .where('imageVersions.credentialId', '=', credentialId)
        )
      ])
    )
    .execute()
}
