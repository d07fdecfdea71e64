/**
 * Fixture rows for resolve tests, written straight to the tables (images and versions are other
 * features' work). Digests are derived from code and version, so tests can predict them.
 */
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { commitChanges } from '../../src/changes/commit-changes.js'
import type { Database } from '../../src/db/database.js'
import type { NewImage } from '../../src/images/images.table.js'
import type { NewVersion, VersionStatus, VersionUpdate } from '../../src/versions/versions.table.js'
import type { RolloutPlan, RolloutState } from '../../src/versions/rollout-plan.js'

export const digestOf = (code: string, version: string): string =>
  `sha256:${createHash('sha256').update(`${code}@${version}`).digest('hex')}`

export async function insertImage(db: Database, code: string, fields: Partial<NewImage> = {}): Promise<{ id: string; code: string }> {
  return db
    .insertInto('images')
    .values({ code, name: code, ownerProject: 'owner-proj', debugProject: 'debug-proj', createdBy: 'publisher', ...fields })
    .returning(['id', 'code'])
    .executeTakeFirstOrThrow()
}

export async function insertVersion(
  db: Database,
  image: { id: string; code: string },
  version: string,
  status: VersionStatus,
  fields: Partial<NewVersion> = {}
): Promise<{ id: string }> {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number]
  return db
    .insertInto('imageVersions')
    .values({
      imageId: image.id,
      major,
      minor,
      patch,
      status,
      registry: 'registry.example.com',
      repository: `ci/${image.code}`,
      tag: version,
      digest: digestOf(image.code, version),
      platforms: JSON.stringify([{ os: 'linux', architecture: 'amd64' }]),
      submittedBy: 'publisher',
      ...(status === 'withdrawn' ? { withdrawReason: 'broken glibc' } : {}),
      ...fields
    })
    .returning('id')
    .executeTakeFirstOrThrow()
}

export async function setStatus(db: Database, versionId: string, status: VersionStatus, fields: VersionUpdate = {}): Promise<void> {
  await db
    .updateTable('imageVersions')
    .set({ status, ...fields })
    .where('id', '=', versionId)
    .execute()
}

/**
 * Announces rows written behind the app's back as any committed change is announced: an event in
 * the outbox, this replica told after the commit, every other one through NOTIFY.
 */
export async function announceChange(app: FastifyInstance, image: { id: string; code: string }): Promise<void> {
  await commitChanges(app.db, app.changes, (_trx, record) =>
    record({ image, action: 'test.rows_written', actor: { name: 'test fixture', tokenId: null, projects: null }, changesResolutions: true })
  )
}

/** A rollout row of a released version (rollouts/ writes them in the service; resolve only reads them). */
export async function insertRollout(
  db: Database,
  image: { id: string },
  versionId: string,
  plan: RolloutPlan,
  stage = 0,
  state: RolloutState = 'rolling_out'
): Promise<void> {
  await db
    .insertInto('versionRollouts')
    .values({
      versionId,
      imageId: image.id,
      plan: JSON.stringify(plan),
      stage,
      state,
      stageStartedAt: new Date(),
      nextAdvanceAt: null,
      startedBy: 'publisher'
    })
    .execute()
}
