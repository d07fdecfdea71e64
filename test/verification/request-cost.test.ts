import t, { type Test } from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { pushImage } from '../helpers/registry/index.js'
import { createBoundCredential } from '../credentials/bound-credential.js'
import { createImage, publish, registryEnv, startTestRegistry } from '../versions/fixtures.js'
import { verifyNow, versionRow, waitFor } from './fixtures.js'

const requestsSent = async (app: TestApp): Promise<number> => {
  const text = (await app.call({ method: 'GET', url: '/metrics' })).body
  const line = text.split('\n').find((l) => l.startsWith('ci_image_store_verification_registry_requests_total '))
  return Number(line?.split(' ').at(-1) ?? 0)
}

/** Runs one verification of 1.0.0 and returns the registry requests it sent. */
async function oneVerification(t: Test, app: TestApp, code: string): Promise<number> {
  const before = await requestsSent(app)
  const verifiedBefore = (await versionRow(app, code)).verifiedAt?.getTime() ?? 0
  t.equal((await verifyNow(app, code)).statusCode, 202)
  await waitFor('the verification', async () => {
    const row = await versionRow(app, code)
    return (row.verifiedAt?.getTime() ?? 0) > verifiedBefore ? row : undefined
  })
  return (await requestsSent(app)) - before
}

t.test('what one verification costs in registry requests', async (t) => {
  t.test('anonymous registry', async (t) => {
    const registry = await startTestRegistry(t)
    const app = await build(t, { env: { ...registryEnv(registry), VERIFY_INTERVAL: '1h', CHECK_POLL_INTERVAL_MS: '100' } })
    await pushImage(registry, { repository: 'team/cost', tag: '1.0', kind: 'oci-index' })
    await createImage(app, { code: 'cost-anon' })
    await publish(app, 'cost-anon', { registry: registry.host, repository: 'team/cost', tag: '1.0' })
    const first = await oneVerification(t, app, 'cost-anon')
    const second = await oneVerification(t, app, 'cost-anon')
    t.equal(first, 3, 'the API root, the tag and the digest')
    t.equal(second, 3)
    t.comment(`anonymous registry: ${first} requests per verification`)
  })

  t.test('token-auth registry with a credential', async (t) => {
    const registry = await startTestRegistry(t, { auth: 'token', users: [{ username: 'puller', password: 'pw' }] })
    const app = await build(t, { env: { ...registryEnv(registry), VERIFY_INTERVAL: '1h', CHECK_POLL_INTERVAL_MS: '100' } })
    await pushImage(registry, { repository: 'private/cost', tag: '1.0', kind: 'oci-image' })
    const credentialId = await createBoundCredential(app, 'payments-ci', { username: 'puller', password: 'pw' }, registry.hosts)
    await createImage(app, { code: 'cost-token', credentialId })
    await publish(app, 'cost-token', { registry: registry.host, repository: 'private/cost', tag: '1.0' })
    const tokensBefore = registry.tokenServer?.requests.length ?? 0
    t.ok(tokensBefore >= 1, 'the check fetched a pull token')
    const first = await oneVerification(t, app, 'cost-token')
    const second = await oneVerification(t, app, 'cost-token')
    // Checks and verifications share the process's registry client, so the check's token serves both.
    t.equal(registry.tokenServer?.requests.length, tokensBefore, "no token requested: the check's token is reused while valid")
    t.equal(first, 3, 'the API root, the tag and the digest')
    t.equal(second, 3)
    t.comment(
      `token-auth registry: ${first} and ${second} requests per verification, the check's token reused (a cold token cache adds one token request)`
    )
  })
})
