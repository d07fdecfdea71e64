/**
 * Rollout fixtures: a released version written with the resolve fixtures, and its rollout started
 * through rollouts/' own start (as a release with a plan does), in a committed transaction.
 */
import type { Test } from 'tap'
import addFormatsModule from 'ajv-formats'
import { Ajv } from 'ajv'
import { commitChanges } from '../../src/changes/commit-changes.js'
import { EVENT_DETAILS, type EventAction } from '../../src/events/events.schemas.js'
import type { NewImage } from '../../src/images/images.table.js'
import { startRollout } from '../../src/rollouts/rollout-transitions.js'
import type { RolloutPlan } from '../../src/versions/rollout-plan.js'
import { lockVersion } from '../../src/versions/versions.repository.js'
import type { TestApp } from '../helpers/app.js'
import { insertImage, insertVersion } from '../resolve/fixtures.js'

export const PUBLISHER = { name: 'publisher', tokenId: null, projects: null } as const

export const rolloutUrl = (code: string, version: string, action?: string) =>
  `/v1/images/${code}/versions/${version}/rollout${action ? `/${action}` : ''}`

/** An image (owner owner-proj, debug debug-proj) with 1.0.0 released and `version` released with its rollout started. */
export async function rollingOut(
  app: TestApp,
  code: string,
  plan: RolloutPlan,
  options: { version?: string; image?: Partial<NewImage> } = {}
): Promise<{ image: { id: string; code: string }; versionId: string; previousId: string }> {
  const db = app.app.db
  const image = await insertImage(db, code, options.image)
  const previous = await insertVersion(db, image, '1.0.0', 'released', { releasedAt: new Date(Date.now() - 86_400_000) })
  const version = options.version ?? '1.1.0'
  const { id } = await insertVersion(db, image, version, 'released', { releasedAt: new Date(), releasedBy: 'publisher' })
  await startRolloutOf(app, image, id, plan)
  return { image, versionId: id, previousId: previous.id }
}

export async function startRolloutOf(app: TestApp, image: { id: string; code: string }, versionId: string, plan: RolloutPlan) {
  await commitChanges(app.app.db, app.app.changes, async (trx, record) => {
    const row = await lockVersion(trx, versionId)
    if (!row) throw new Error('no such version')
    await startRollout({ trx, record, actor: PUBLISHER }, image, row, plan)
  })
}

export async function rolloutEvents(app: TestApp, code: string) {
  return app.app.db
    .selectFrom('imageEvents')
    .innerJoin('images', 'images.id', 'imageEvents.imageId')
    .select([
      'imageEvents.action',
      'imageEvents.actor',
      'imageEvents.actorProjects',
      'imageEvents.version',
      'imageEvents.details',
      'imageEvents.requestId'
    ])
    .where('images.code', '=', code)
    .where('imageEvents.action', 'like', 'version.%')
    .orderBy('imageEvents.id')
    .execute()
}

// ajv-formats is CommonJS: under NodeNext its default export is the module object
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }))

/** Checks each event's details against the schema the contract documents for its action. */
export function checkDetails(t: Test, events: { action: string; details: unknown }[]): void {
  for (const event of events) {
    const schema = EVENT_DETAILS[event.action as EventAction] as object | undefined
    if (!schema) {
      t.fail(`${event.action} has no details schema`)
      continue
    }
    const validate = ajv.compile(schema)
    t.ok(validate(event.details), `${event.action} details match their schema: ${ajv.errorsText(validate.errors)}`)
  }
}

/** Makes the rollout's stage due now (as if advanceAfter had passed). */
export async function makeDue(app: TestApp, versionId: string): Promise<void> {
  await app.app.db
    .updateTable('versionRollouts')
    .set({ nextAdvanceAt: new Date(Date.now() - 1000) })
    .where('versionId', '=', versionId)
    .execute()
}

export async function waitFor<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
