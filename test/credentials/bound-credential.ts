// A credential through the API, bound to the given registry hosts (the token registry's realm is
// a host of its own: pass every host of the rig, e.g. registry.hosts).
import type { TestApp } from '../helpers/app.js'

export async function createBoundCredential(
  app: TestApp,
  project: string,
  login: { name?: string; username: string; password: string },
  registries: string[]
): Promise<string> {
  const payload = {
    name: login.name ?? `cred-${Math.random().toString(36).slice(2, 8)}`,
    username: login.username,
    password: login.password,
    registries
  }
  const res = await app.call({ method: 'POST', url: `/v1/projects/${project}/credentials`, payload })
  if (res.statusCode !== 201) throw new Error(`credential: ${res.statusCode} ${res.body}`)
  return res.json<{ id: string }>().id
}
