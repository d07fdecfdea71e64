import type { TestApp } from '../helpers/app.js'
import type { VersionStatus } from '../../src/versions/versions.table.js'

export const OWNER = 'payments-ci'

export const imageBody = (overrides: Record<string, unknown> = {}) => ({
  code: 'node-20',
  name: 'Node.js 20',
  ownerProject: OWNER,
  ...overrides
})

export async function createCredential(test: TestApp, project = OWNER, name = 'robot'): Promise<string> {
  const res = await test.call({
    method: 'POST',
    url: `/v1/projects/${project}/credentials`,
    payload: { name, username: 'robot$ci', password: 'pw', registries: ['registry.example.com'] }
  })
  if (res.statusCode !== 201) throw new Error(`credential: ${res.statusCode} ${res.body}`)
  return res.json<{ id: string }>().id
}

export async function createImage(
  test: TestApp,
  overrides: Record<string, unknown> = {},
  token?: string
): Promise<{ id: string; code: string }> {
  const res = await test.call({ method: 'POST', url: '/v1/images', payload: imageBody(overrides), ...(token ? { token } : {}) })
  if (res.statusCode !== 201) throw new Error(`image: ${res.statusCode} ${res.body}`)
  return res.json()
}

/** A version row as the versions feature would write it (that feature is not ours to call). */
export async function addVersion(
  test: TestApp,
  imageId: string,
  version: string,
  status: VersionStatus,
  releasedAt?: string
): Promise<void> {
  const [major, minor, patch] = version.split('.').map(Number) as [number, number, number]
  await test.app.db
    .insertInto('imageVersions')
    .values({
      imageId,
      major,
      minor,
      patch,
      status,
      registry: 'registry.example',
      repository: 'ci/node',
      tag: version,
      submittedBy: 'admin',
      releasedAt: releasedAt ? new Date(releasedAt) : null
    })
    .execute()
}

export async function counts(test: TestApp): Promise<{ images: number; events: number }> {
  const n = async (table: 'images' | 'imageEvents') =>
    Number(
      (
        await test.app.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n
    )
  return { images: await n('images'), events: await n('imageEvents') }
}
