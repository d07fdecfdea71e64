import t from 'tap'
import { build } from '../helpers/app.js'
import { insertImage, insertVersion } from './fixtures.js'

const PASSWORD = 'robot-password-7f3a9c'
const VERSION_PASSWORD = 'version-password-21bd04'

t.test('pull secrets: only with the pull-secrets scope, every one recorded', async (t) => {
  const first = await build(t)
  const { app, call, token, logs } = first
  const createCredential = async (name: string, password: string) => {
    const res = await call({
      method: 'POST',
      url: '/v1/projects/owner-proj/credentials',
      payload: { name, username: `robot-${name}`, password, registries: ['registry.example.com'] }
    })
    t.equal(res.statusCode, 201, res.body)
    return res.json<{ id: string }>().id
  }
  const imageCredential = await createCredential('image-robot', PASSWORD)
  const versionCredential = await createCredential('version-robot', VERSION_PASSWORD)
  const priv = await insertImage(app.db, 'private-tools', { visibilityPublic: true, credentialId: imageCredential })
  await insertVersion(app.db, priv, '1.0.0', 'released')
  await insertVersion(app.db, priv, '2.0.0', 'released', { credentialId: versionCredential })
  // On another host than its credential's: rows as they could stand from before hosts were recorded.
  await insertVersion(app.db, priv, '3.0.0', 'released', { registry: 'mirror.example.com' })
  const pub = await insertImage(app.db, 'public-tools', { visibilityPublic: true })
  await insertVersion(app.db, pub, '1.0.0', 'released')

  const resolveOnly = await token({ name: 'engine-resolve', scopes: ['resolve'] })
  const withSecrets = await token({ name: 'engine-secrets', scopes: ['resolve', 'pull-secrets'] })
  const url = (code: string, version: string) => `/v1/images/${code}/resolve?version=${version}&project=payments&pipeline=p9&build=b9`

  const plain = await call({ method: 'GET', url: url('private-tools', '1.latest'), token: resolveOnly })
  t.equal(plain.statusCode, 200)
  t.same(plain.json().credential, { id: imageCredential, project: 'owner-proj' })
  t.notOk('pullSecret' in plain.json())

  const secret = await call({ method: 'GET', url: url('private-tools', '1.latest'), token: withSecrets })
  t.same(secret.json().pullSecret, { username: 'robot-image-robot', password: PASSWORD })
  t.equal(secret.headers['cache-control'], 'no-store')

  const ownCredential = await call({ method: 'GET', url: url('private-tools', '2.latest'), token: withSecrets })
  t.same(ownCredential.json().credential, { id: versionCredential, project: 'owner-proj' }, "a version's own credential wins")
  t.same(ownCredential.json().pullSecret, { username: 'robot-version-robot', password: VERSION_PASSWORD })

  // Never handed out for a registry the credential is not bound to: the pull is anonymous, and the
  // engine is told which credential was held back.
  const elsewhere = await call({ method: 'GET', url: url('private-tools', '3.latest'), token: withSecrets })
  t.equal(elsewhere.statusCode, 200)
  t.match(elsewhere.json(), {
    reference: 'mirror.example.com/ci/private-tools:3.0.0',
    credential: null,
    pullSecret: null,
    unboundCredential: { id: imageCredential, project: 'owner-proj' }
  })
  t.notOk(elsewhere.body.includes(PASSWORD))
  const elsewherePlain = await call({ method: 'GET', url: url('private-tools', '3.latest'), token: resolveOnly })
  t.match(elsewherePlain.json(), { credential: null, unboundCredential: { id: imageCredential } })
  t.notOk('unboundCredential' in secret.json(), 'only when a credential is held back')

  const anonymous = await call({ method: 'GET', url: url('public-tools', '1.latest'), token: withSecrets })
  t.equal(anonymous.json().credential, null)
  t.equal(anonymous.json().pullSecret, null)

  const batch = await call({
    method: 'POST',
    url: '/v1/resolve',
    token: withSecrets,
    payload: {
      project: 'payments',
      images: [
        { image: 'private-tools', version: '1.latest' },
        { image: 'private-tools', version: '1.0.0' }
      ]
    }
  })
  t.same(
    batch.json().results.map((r: { resolution: { pullSecret: unknown } }) => r.resolution.pullSecret),
    [
      { username: 'robot-image-robot', password: PASSWORD },
      { username: 'robot-image-robot', password: PASSWORD }
    ]
  )

  await app.resolutionLog.flush()
  const grants = await app.db.selectFrom('pullSecretGrants').selectAll().orderBy('id').execute()
  t.same(
    grants.map((g) => [g.credentialId, g.imageId, g.version, g.project, g.pipeline, g.build, g.tokenName]),
    [
      [imageCredential, priv.id, '1.0.0', 'payments', 'p9', 'b9', 'engine-secrets'],
      [versionCredential, priv.id, '2.0.0', 'payments', 'p9', 'b9', 'engine-secrets'],
      [imageCredential, priv.id, '1.0.0', 'payments', null, null, 'engine-secrets'],
      [imageCredential, priv.id, '1.0.0', 'payments', null, null, 'engine-secrets']
    ],
    'one grant per secret handed out; none for the anonymous pull, the held-back credential or without the scope'
  )
  t.ok(grants.every((g) => g.grantedAt instanceof Date && Date.now() - g.grantedAt.getTime() < 60_000))
  t.notOk(logs.join('').includes(PASSWORD), 'the secret never reaches the log')

  await t.test('409 CREDENTIAL_UNAVAILABLE when this replica cannot open the credential', async (t) => {
    const other = await build(t, { databaseUrl: first.databaseUrl, env: { CREDENTIALS_KEY: Buffer.alloc(32, 9).toString('base64') } })
    const res = await other.call({ method: 'GET', url: url('private-tools', '1.latest'), token: withSecrets })
    t.equal(res.statusCode, 409)
    t.match(res.json(), { code: 'CREDENTIAL_UNAVAILABLE', image: 'private-tools', credentialId: imageCredential })
    // Without the pull-secrets scope the credential is only named, so the resolution works.
    t.equal((await other.call({ method: 'GET', url: url('private-tools', '1.latest'), token: resolveOnly })).statusCode, 200)
    t.notOk(other.logs.join('').includes(PASSWORD))
  })

  await t.test('a host taken off the credential stops the secret at once (the cached image is invalidated)', async (t) => {
    const url1 = url('private-tools', '1.latest')
    t.same(
      (await call({ method: 'GET', url: url1, token: withSecrets })).json().pullSecret,
      { username: 'robot-image-robot', password: PASSWORD },
      'cached with the host'
    )
    const moved = await call({
      method: 'PATCH',
      url: `/v1/projects/owner-proj/credentials/${imageCredential}`,
      payload: { registries: ['mirror.example.com'] }
    })
    t.equal(moved.statusCode, 200, 'no version holds the host with this credential as its own')
    t.match((await call({ method: 'GET', url: url1, token: withSecrets })).json(), {
      credential: null,
      pullSecret: null,
      unboundCredential: { id: imageCredential }
    })
    t.match(
      (await call({ method: 'GET', url: url('private-tools', '3.latest'), token: withSecrets })).json(),
      { pullSecret: { username: 'robot-image-robot' } },
      'the new host gets it'
    )
  })
})
