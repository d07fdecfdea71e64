/**
 * Fixtures for release-safety tests (approvals, soak time, release plans): an image with release
 * rules, a version driven to testing through a real registry, approver decisions, and the events
 * checked against the schemas the contract documents.
 */
import type { Test } from 'tap'
import addFormatsModule from 'ajv-formats'
import { Ajv } from 'ajv'
import { EVENT_DETAILS, type EventAction } from '../../src/events/events.schemas.js'
import type { Version } from '../../src/versions/versions.schemas.js'
import type { TestApp } from '../helpers/app.js'
import { createImage, submit, versionsUrl, waitForCheck, type ImageFixture } from './fixtures.js'

export interface RulesFixture extends ImageFixture {
  approval?: { required: number; approverProjects: string[] } | null
  minTestingTime?: string | null
}

/** The image, private but visible to the approver projects given. */
export async function createImageWithRules(app: TestApp, image: RulesFixture): Promise<void> {
  const approvers = image.approval?.approverProjects ?? []
  await createImage(app, { visibility: { public: false, projects: approvers }, ...image } as ImageFixture)
}

/** Submits `tag` with `token` (admin by default) and waits until the version is testing. */
export async function testingVersion(
  t: Test,
  app: TestApp,
  code: string,
  at: { registry: string; repository: string; tag: string },
  token?: string
): Promise<Version> {
  const res = await submit(app, code, at, undefined, token)
  if (res.statusCode !== 202) throw new Error(`submit: ${res.statusCode} ${res.body}`)
  const v = await waitForCheck(app, code, res.json<Version>().version)
  t.equal(v.status, 'testing', `${code} ${v.version} is testing`)
  return v
}

export const release = (app: TestApp, code: string, version: string, payload?: unknown, token?: string) =>
  app.call({
    method: 'POST',
    url: `${versionsUrl(code)}/${version}/release`,
    ...(payload !== undefined ? { payload } : {}),
    ...(token ? { token } : {})
  })

export const decide = (app: TestApp, code: string, version: string, decision: 'approve' | 'reject', payload?: unknown, token?: string) =>
  app.call({
    method: 'POST',
    url: `${versionsUrl(code)}/${version}/${decision}`,
    ...(payload !== undefined ? { payload } : {}),
    ...(token ? { token } : {})
  })

/** The image's version events of these types, oldest first. */
export async function eventsOf(app: TestApp, code: string, ...actions: string[]) {
  return app.app.db
    .selectFrom('imageEvents')
    .innerJoin('images', 'images.id', 'imageEvents.imageId')
    .select(['imageEvents.action', 'imageEvents.actor', 'imageEvents.version', 'imageEvents.details', 'imageEvents.requestId'])
    .where('images.code', '=', code)
    .where('imageEvents.action', 'in', actions)
    .orderBy('imageEvents.id')
    .execute()
}

export async function approvalRows(app: TestApp, code: string) {
  return app.app.db
    .selectFrom('versionApprovals')
    .innerJoin('imageVersions', 'imageVersions.id', 'versionApprovals.versionId')
    .innerJoin('images', 'images.id', 'imageVersions.imageId')
    .select(['versionApprovals.tokenName', 'versionApprovals.projects', 'versionApprovals.comment'])
    .where('images.code', '=', code)
    .orderBy('versionApprovals.id')
    .execute()
}

// ajv-formats is CommonJS: under NodeNext its default export is the module object
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }))

/** Checks each event's details against the schema the contract documents for its action. */
export function checkDetails(t: Test, events: readonly { action: string; details: unknown }[]): void {
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
