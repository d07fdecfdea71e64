/**
 * Helpers for verification tests: publish a version through the API, read its row and its
 * events, ask for a verification, and poll for a condition.
 */
import type { TestApp } from '../helpers/app.js'
import { createImage, publish } from '../versions/fixtures.js'

/** Creates the image and publishes 1.0.0 from registry/repository:tag (checked, released). */
export async function releasedVersion(app: TestApp, code: string, at: { registry: string; repository: string; tag: string }) {
  await createImage(app, { code })
  return publish(app, code, at)
}

export async function versionRow(app: TestApp, code: string, version = '1.0.0') {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number]
  return app.app.db
    .selectFrom('imageVersions')
    .innerJoin('images', 'images.id', 'imageVersions.imageId')
    .selectAll('imageVersions')
    .where('images.code', '=', code)
    .where('imageVersions.major', '=', major)
    .where('imageVersions.minor', '=', minor)
    .where('imageVersions.patch', '=', patch)
    .executeTakeFirstOrThrow()
}

export async function eventsOf(app: TestApp, code: string, action: string) {
  return app.app.db
    .selectFrom('imageEvents')
    .innerJoin('images', 'images.id', 'imageEvents.imageId')
    .select(['imageEvents.id', 'imageEvents.details', 'imageEvents.actor', 'imageEvents.createdAt'])
    .where('images.code', '=', code)
    .where('imageEvents.action', '=', action)
    .orderBy('imageEvents.id')
    .execute()
}

export async function verifyNow(app: TestApp, code: string, version = '1.0.0', token?: string) {
  return app.call({ method: 'POST', url: `/v1/images/${code}/versions/${version}/verify`, ...(token ? { token } : {}) })
}

/** Polls `probe` every 20 ms until it returns something other than undefined; throws past the deadline. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The verification job of the version. */
export async function verificationJob(app: TestApp, versionId: string) {
  return app.app.db
    .selectFrom('checkJobs')
    .selectAll()
    .where('versionId', '=', versionId)
    .where('kind', '=', 'verification')
    .executeTakeFirst()
}
