import type { Db } from '../db/schema.js'
import { ACTIVE_ROLLOUT_STATES } from '../versions/rollout-plan.js'
import { RESOLVABLE_STATUSES } from '../versions/version-lifecycle.js'

/**
 * One image by code with the versions resolve can meet, in one round trip: the image's access
 * fields joined with its released/testing/awaiting_approval/withdrawn versions (newest first, walking
 * image_versions_order_idx) and both credentials' projects and hosts. One row per version, or one
 * row with null version columns for an image without any; no row when no image has the code.
 * What verification found (drift, unavailability) comes along: resolve skips and shows it. So does
 * the version's rollout while it is active (rolling out or paused): who it reaches so far.
 */
export async function listResolvableVersions(db: Db, code: string) {
  return db
    .selectFrom('images as i')
    .leftJoin('registryCredentials as ic', 'ic.id', 'i.credentialId')
    .leftJoin('imageVersions as v', (join) => join.onRef('v.imageId', '=', 'i.id').on('v.status', 'in', RESOLVABLE_STATUSES))
    .leftJoin('registryCredentials as vc', 'vc.id', 'v.credentialId')
    .leftJoin('versionRollouts as r', (join) => join.onRef('r.versionId', '=', 'v.id').on('r.state', 'in', ACTIVE_ROLLOUT_STATES))
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
      'v.withdrawReason',
      'v.upstreamDigest',
      'v.upstreamSeenAt',
      'v.unavailableSince',
      'v.unavailableReason',
      'r.plan as rolloutPlan',
      'r.stage as rolloutStage',
      'r.state as rolloutState'
    ])
    .where('i.code', '=', code)
    .orderBy('v.major', 'desc')
    .orderBy('v.minor', 'desc')
    .orderBy('v.patch', 'desc')
    .execute()
}
export type ResolvableVersionRow = Awaited<ReturnType<typeof listResolvableVersions>>[number]
