/**
 * Helpers for end-to-end stories: a rig registry the app trusts, and the few HTTP conversations a
 * publisher and a pipeline engine have with the service. Everything goes through `call` (HTTP).
 */
import type { Test } from 'tap'
import type { TestApp } from '../helpers/app.js'
import { startRegistry, trustedHosts, type RigRegistry, type StartRegistryOptions } from '../helpers/registry/index.js'

export async function startStoryRegistry(t: Test, options: StartRegistryOptions): Promise<RigRegistry> {
  const registry = await startRegistry(options)
  t.teardown(registry.stop)
  return registry
}

/** The app's environment for trusting the rig (plain http, loopback addresses). */
export function trustRegistry(registry: RigRegistry): Record<string, string> {
  const hosts = trustedHosts(registry).join(',')
  return { REGISTRY_INSECURE_HOSTS: hosts, REGISTRY_ALLOWED_PRIVATE_HOSTS: hosts, LOG_LEVEL: 'warn' }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** GETs the version until it leaves `checking` (15 s at most) and returns its body. */
export async function waitUntilChecked(app: TestApp, code: string, version: string, token: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000
  for (;;) {
    const res = await app.call({ method: 'GET', url: `/v1/images/${code}/versions/${version}`, token })
    if (res.statusCode !== 200) throw new Error(`GET version ${version}: ${res.statusCode} ${res.body}`)
    const body = res.json<Record<string, unknown>>()
    if (body.status !== 'checking' || Date.now() > deadline) return body
    await sleep(10)
  }
}

export interface ResolveQuery {
  version: string
  project: string
  pipeline?: string
  build?: string
}

export function resolveUrl(code: string, query: ResolveQuery): string {
  return `/v1/images/${code}/resolve?${new URLSearchParams({ ...query }).toString()}`
}

/** Polls `probe` every `everyMs` until it returns a value or `limitMs` passes; returns it with the time taken. */
export async function pollUntil<T>(
  probe: () => Promise<T | undefined>,
  everyMs: number,
  limitMs: number
): Promise<{ value: T | undefined; ms: number }> {
  const started = Date.now()
  for (;;) {
    const value = await probe()
    const ms = Date.now() - started
    if (value !== undefined || ms >= limitMs) return { value, ms }
    await sleep(everyMs)
  }
}
