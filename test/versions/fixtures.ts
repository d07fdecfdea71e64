/**
 * Fixtures for version tests: images and credentials through the API (as a client would create
 * them), a one-per-file registry rig, and small helpers that drive a version through its lifecycle.
 */
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { TestApp } from '../helpers/app.js'
import {
  pushImage,
  startRegistry,
  trustedHosts,
  type ImageKind,
  type PushedImage,
  type RigRegistry,
  type StartRegistryOptions
} from '../helpers/registry/index.js'
import type { Version } from '../../src/versions/versions.schemas.js'

export interface ImageFixture {
  code: string
  ownerProject?: string
  debugProject?: string
  credentialId?: string | null
  visibility?: { public: boolean; projects?: string[] }
  /** Created with this token, which becomes the image's owner; admin by default. */
  token?: string
}

export async function createImage(app: TestApp, image: ImageFixture): Promise<void> {
  const { token, ...body } = image
  const res = await app.call({
    method: 'POST',
    url: '/v1/images',
    payload: { name: `Image ${image.code}`, ownerProject: 'payments-ci', debugProject: 'payments-sandbox', ...body },
    ...(token ? { token } : {})
  })
  if (res.statusCode !== 201) throw new Error(`image fixture: ${res.statusCode} ${res.body}`)
}

export async function createCredential(
  app: TestApp,
  project: string,
  login: { name?: string; username: string; password: string; registries: string[] }
): Promise<string> {
  const res = await app.call({
    method: 'POST',
    url: `/v1/projects/${project}/credentials`,
    payload: { name: login.name ?? `cred-${Math.random().toString(36).slice(2, 8)}`, ...login }
  })
  if (res.statusCode !== 201) throw new Error(`credential fixture: ${res.statusCode} ${res.body}`)
  return res.json<{ id: string }>().id
}

/** One real registry per test file; the app must trust its hosts (see registryEnv). */
export async function startTestRegistry(t: Test, options: StartRegistryOptions = { auth: 'none' }): Promise<RigRegistry> {
  const registry = await startRegistry(options)
  t.teardown(registry.stop)
  return registry
}

export function registryEnv(...parts: { hosts: string[] }[]): Record<string, string> {
  const hosts = trustedHosts(...parts).join(',')
  return { REGISTRY_INSECURE_HOSTS: hosts, REGISTRY_ALLOWED_PRIVATE_HOSTS: hosts, LOG_LEVEL: 'warn' }
}

export async function push(registry: RigRegistry, repository: string, tag: string, kind: ImageKind = 'oci-image'): Promise<PushedImage> {
  return pushImage(registry, { repository, tag, kind })
}

export const versionsUrl = (code: string) => `/v1/images/${code}/versions`

export async function submit(
  app: TestApp,
  code: string,
  payload: Record<string, unknown>,
  headers?: Record<string, string>,
  token?: string
): Promise<LightMyRequestResponse> {
  return app.call({ method: 'POST', url: versionsUrl(code), payload, ...(headers ? { headers } : {}), ...(token ? { token } : {}) })
}

export async function getVersion(app: TestApp, code: string, version: string): Promise<Version> {
  const res = await app.call({ method: 'GET', url: `${versionsUrl(code)}/${version}` })
  if (res.statusCode !== 200) throw new Error(`get version: ${res.statusCode} ${res.body}`)
  return res.json<Version>()
}

/** Polls until the version leaves `checking` (or the deadline passes) and returns it. */
export async function waitForCheck(app: TestApp, code: string, version: string, timeoutMs = 15_000): Promise<Version> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await getVersion(app, code, version)
    if (v.status !== 'checking' || Date.now() > deadline) return v
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

export async function action(
  app: TestApp,
  code: string,
  version: string,
  name: 'recheck' | 'release' | 'cancel' | 'withdraw',
  payload?: unknown,
  token?: string
) {
  return app.call({
    method: 'POST',
    url: `${versionsUrl(code)}/${version}/${name}`,
    ...(payload !== undefined ? { payload } : {}),
    ...(token ? { token } : {})
  })
}

/** Submits, waits for the check to pass and releases; returns the released version. */
export async function publish(app: TestApp, code: string, payload: Record<string, unknown>): Promise<Version> {
  const res = await submit(app, code, payload)
  if (res.statusCode !== 202) throw new Error(`submit: ${res.statusCode} ${res.body}`)
  const { version } = res.json<Version>()
  const checked = await waitForCheck(app, code, version)
  if (checked.status !== 'testing') throw new Error(`check of ${version}: ${checked.status} ${checked.statusReason ?? ''}`)
  const released = await action(app, code, version, 'release')
  if (released.statusCode !== 200) throw new Error(`release: ${released.statusCode} ${released.body}`)
  return released.json<Version>()
}

/** Rows of the image's audit trail about versions, oldest first. */
export async function versionEvents(app: TestApp, code: string) {
  return app.app.db
    .selectFrom('imageEvents')
    .innerJoin('images', 'images.id', 'imageEvents.imageId')
    .select(['imageEvents.action', 'imageEvents.actor', 'imageEvents.version', 'imageEvents.details', 'imageEvents.requestId'])
    .where('images.code', '=', code)
    .where('imageEvents.action', 'like', 'version.%')
    .orderBy('imageEvents.id')
    .execute()
}
