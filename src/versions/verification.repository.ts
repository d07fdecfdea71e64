// The queries on image_versions a re-verification needs (the table is versions/'s).
import type { Transaction } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import type { VersionRow, VersionStatus, VersionUpdate } from './versions.table.js'

/** What the verification worker needs of a version: where its image lives, what it pinned, with which credential. */
export async function findVersionToVerify(db: Db, id: string) {
  return db
    .selectFrom('imageVersions')
    .select(['id', 'imageId', 'major', 'minor', 'patch', 'status', 'registry', 'repository', 'tag', 'digest', 'credentialId'])
    .where('id', '=', id)
    .executeTakeFirst()
}

/**
 * Compare-and-set: writes a verification's findings only while the version is in one of
 * `statuses` and still pinned to `digest`. updated_at moves only when more than the verification's
 * time and error change, so a routine verification does not make the version look edited.
 */
export async function updateVerifiedVersion(
  trx: Transaction<DB>,
  id: string,
  statuses: readonly VersionStatus[],
  digest: string,
  values: VersionUpdate
): Promise<VersionRow | undefined> {
  const routine = Object.keys(values).every((key) => key === 'verifiedAt' || key === 'verificationError')
  return trx
    .updateTable('imageVersions')
    .set(routine ? values : { ...values, updatedAt: new Date() })
    .where('id', '=', id)
    .where('status', 'in', statuses)
    .where('digest', '=', digest)
    .returningAll()
    .executeTakeFirst()
}
