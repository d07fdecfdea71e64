import type { Db } from '../db/schema.js'
import { SNAPSHOT_STATUSES, toSnapshot, type ImageSnapshot } from './image-snapshot.js'


/**
 * One image with the versions resolve can meet, in a single round trip: the image row joined with
 * its released/testing/withdrawn versions and both credentials' projects and hosts (walks
 * image_versions_order_idx). undefined when no image has the code.
 */
export async function loadImageSnapshot(db: Db, code: string): Promise<ImageSnapshot | undefined> {
  const rows = await db
    .selectFrom('images as i')
    .leftJoin('registryCredentials as ic', 'ic.id', 'i.credentialId')
    .leftJoin('imageVersions as v', (join) => join.onRef('v.imageId', '=', 'i.id').on('v.status', 'in', SNAPSHOT_STATUSES))
    .leftJoin('registryCredentials as vc', 'vc.id', 'v.credentialId')
    .select([
      'i.id',
      'i.code',
      'i.ownerProject',
      'i.debugProject',
      'i.visibilityPublic',
      'i.visibilityProjects',
      'i.credentialId as imageCredentialId',
      'ic.project as imageCredentialProject',
      'ic.registries as imageCredentialRegistries',
      'v.major',
      'v.minor',
      'v.patch',
      'v.status',
      'v.registry',
      'v.repository',
      'v.tag',
      'v.digest',
      'v.platforms',
      'v.credentialId as versionCredentialId',
      'vc.project as versionCredentialProject',
      'vc.registries as versionCredentialRegistries',
      'v.withdrawReason'
    ])
    .where('i.code', '=', code)
    .orderBy('v.major', 'desc')
    .orderBy('v.minor', 'desc')
    .orderBy('v.patch', 'desc')
    .execute()
  return toSnapshot(rows)
}
