// Real docker-registry 2.8: every image kind must come back with the digest, media type, platforms
// and size the rig pushed, with no auth, htpasswd Basic auth and Bearer tokens.
import t from 'tap'
import { createRigClient, pushImage, startRegistry, type ImageKind, type RigAuth } from '../helpers/registry/index.js'

const KINDS: ImageKind[] = ['oci-image', 'oci-index', 'docker-v2', 'docker-list']
const EXPECTED_TYPES: Record<ImageKind, string> = {
  'oci-image': 'application/vnd.oci.image.manifest.v1+json',
  'oci-index': 'application/vnd.oci.image.index.v1+json',
  'docker-v2': 'application/vnd.docker.distribution.manifest.v2+json',
  'docker-list': 'application/vnd.docker.distribution.manifest.list.v2+json'
}

for (const auth of ['none', 'basic', 'token'] as RigAuth[]) {
  t.test(`auth ${auth}`, async (t) => {
    const registry = await startRegistry({ auth })
    t.teardown(registry.stop)
    const client = createRigClient([registry])
    t.teardown(() => client.close())
    const credential = auth === 'none' ? undefined : { ...registry.users[0]!, registries: registry.hosts }

    for (const kind of KINDS) {
      const pushed = await pushImage(registry, { repository: 'team/app', tag: kind, kind })
      t.equal(pushed.mediaType, EXPECTED_TYPES[kind])
      const outcome = await client.checkPullability(`${registry.host}/team/app:${kind}`, credential)
      t.same(
        outcome,
        { ok: true, digest: pushed.digest, mediaType: EXPECTED_TYPES[kind], platforms: pushed.platforms, size: pushed.size },
        kind
      )
    }

    const index = await pushImage(registry, { repository: 'team/multi', tag: '1.0', kind: 'oci-index' })
    t.same(index.platforms, [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' }
    ])
    t.equal(index.children.length, 3, 'two platforms plus an attestation were pushed')
    const pinned = await client.checkPullability(`${registry.host}/team/multi@${index.digest}`, credential)
    t.same(
      pinned,
      { ok: true, digest: index.digest, mediaType: EXPECTED_TYPES['oci-index'], platforms: index.platforms, size: index.size },
      'by digest'
    )

    // A re-push moves the tag: the check must report the new digest, not a cached one.
    const again = await pushImage(registry, { repository: 'team/app', tag: 'oci-image', kind: 'oci-image' })
    const moved = await client.checkPullability(`${registry.host}/team/app:oci-image`, credential)
    t.equal(moved.ok && moved.digest, again.digest)
  })
}

t.test('token mode: tokens are cached per scope and credential', async (t) => {
  const registry = await startRegistry({ auth: 'token', anonymousPull: ['public/app'] })
  t.teardown(registry.stop)
  const client = createRigClient([registry])
  t.teardown(() => client.close())
  const pushed = await pushImage(registry, { repository: 'team/app', tag: '1', kind: 'docker-v2' })
  const tokenServer = registry.tokenServer
  if (tokenServer === undefined) throw new Error('token mode without a token server')
  const before = tokenServer.requests.length

  for (let i = 0; i < 3; i++) {
    const outcome = await client.checkPullability(`${registry.host}/team/app:1`, { ...registry.users[0]!, registries: registry.hosts })
    t.equal(outcome.ok && outcome.digest, pushed.digest)
  }
  const pulls = tokenServer.requests.slice(before)
  t.same(pulls, [{ username: 'rig-user', scopes: ['repository:team/app:pull'], status: 200 }], 'one token for three checks')

  // GHCR-style: public images still need an (anonymous) token.
  const open = await pushImage(registry, { repository: 'public/app', tag: 'latest', kind: 'oci-image' })
  const anonymous = await client.checkPullability(`${registry.host}/public/app`)
  t.equal(anonymous.ok && anonymous.digest, open.digest, 'no tag means latest')
  t.same(tokenServer.requests.at(-1), { username: undefined, scopes: ['repository:public/app:pull'], status: 200 })
})
