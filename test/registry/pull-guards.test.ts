// What the client refuses to do on its own: reach private addresses, talk plain http (with or
// without credentials) to hosts not configured as insecure, or swallow unbounded bodies.
import t from 'tap'
import { lookup } from 'node:dns/promises'
import { hostname } from 'node:os'
import { forbiddenAddressKind } from '../../src/registry/ip-ranges.js'
import { createRigClient, pushImage, startRegistry } from '../helpers/registry/index.js'

t.test('SSRF guard against a real registry on 127.0.0.1', async (t) => {
  const registry = await startRegistry({ auth: 'none' })
  t.teardown(registry.stop)
  const pushed = await pushImage(registry, { repository: 'team/app', tag: '1', kind: 'oci-image' })
  const port = registry.host.split(':')[1] ?? ''

  const guarded = createRigClient([registry], { allowedPrivateHosts: [] })
  t.teardown(() => guarded.close())
  t.same(await guarded.checkPullability(`${registry.host}/team/app:1`), {
    ok: false,
    class: 'refused',
    reason: `refusing to contact ${registry.host} while checking ${registry.host}/team/app:1: it is a loopback address; add "${registry.host}" to REGISTRY_ALLOWED_PRIVATE_HOSTS only if this registry is trusted.`
  })
  const byName = await guarded.checkPullability(`localhost:${port}/team/app:1`)
  t.match(byName, { ok: false, class: 'refused', reason: /localhost.*loopback name/ })

  const otherPort = createRigClient([registry], { allowedPrivateHosts: ['127.0.0.1:1'] })
  t.teardown(() => otherPort.close())
  t.match(
    await otherPort.checkPullability(`${registry.host}/team/app:1`),
    { ok: false, class: 'refused' },
    'an allow-list entry with another port does not match'
  )

  const allowedHost = createRigClient([registry], { allowedPrivateHosts: ['127.0.0.1'] })
  t.teardown(() => allowedHost.close())
  t.match(
    await allowedHost.checkPullability(`${registry.host}/team/app:1`),
    { ok: true, digest: pushed.digest },
    'a host entry allows any port'
  )

  // The machine's own name usually resolves to a loopback or private address: that exercises the
  // connect-time lookup rather than the literal-address check.
  const name = hostname().toLowerCase()
  const addresses = await lookup(name, { all: true }).catch(() => [])
  const isPrivate = addresses.length > 0 && addresses.every((a) => forbiddenAddressKind(a.address) !== undefined)
  t.test('a name resolving to a private address', { skip: isPrivate ? false : `${name} does not resolve privately here` }, async (t) => {
    const insecure = [...registry.hosts, `${name}:${port}`]
    const refusing = createRigClient([registry], { allowedPrivateHosts: [], insecureHosts: insecure })
    t.teardown(() => refusing.close())
    t.match(await refusing.checkPullability(`${name}:${port}/team/app:1`), { ok: false, class: 'refused', reason: /resolves to .*address/ })
    const allowing = createRigClient([registry], { allowedPrivateHosts: [`${name}:${port}`], insecureHosts: insecure })
    t.teardown(() => allowing.close())
    t.match(await allowing.checkPullability(`${name}:${port}/team/app:1`), { ok: true, digest: pushed.digest })
  })

  const metadata = await guarded.checkPullability('169.254.169.254/latest/meta-data:1')
  t.match(metadata, { ok: false, class: 'refused', reason: /contact 169\.254\.169\.254 .*it is a link-local address/ })
})

t.test('plain http and credentials', async (t) => {
  const registry = await startRegistry({ auth: 'token' })
  t.teardown(registry.stop)
  const user = { ...registry.users[0]!, registries: registry.hosts }
  await pushImage(registry, { repository: 'team/app', tag: '1', kind: 'docker-v2' })
  const tokenHost = registry.tokenServer?.host ?? ''

  // The registry is insecure on purpose, its token service is not: credentials would cross plain http.
  const client = createRigClient([registry], { insecureHosts: [registry.host] })
  t.teardown(() => client.close())
  const before = registry.tokenServer?.requests.length
  t.same(await client.checkPullability(`${registry.host}/team/app:1`, user), {
    ok: false,
    class: 'refused',
    reason: `refusing plain http to ${tokenHost} while checking ${registry.host}/team/app:1; serve it over https or add "${tokenHost}" to REGISTRY_INSECURE_HOSTS.`
  })
  t.equal(registry.tokenServer?.requests.length, before, 'the token service never saw the credential')

  // Not listed as insecure at all: the client speaks TLS, which a plain-http registry cannot answer.
  const strict = createRigClient([registry], { insecureHosts: [] })
  t.teardown(() => strict.close())
  const tls = await strict.checkPullability(`${registry.host}/team/app:1`, user)
  t.match(tls, { ok: false, class: 'unavailable', reason: /TLS handshake with .* failed .*REGISTRY_INSECURE_HOSTS/ })
})

t.test('bodies larger than maxBodyBytes are refused as invalid', async (t) => {
  const registry = await startRegistry({ auth: 'none' })
  t.teardown(registry.stop)
  const pushed = await pushImage(registry, { repository: 'team/app', tag: 'multi', kind: 'oci-index' })
  const client = createRigClient([registry], { maxBodyBytes: 600 })
  t.teardown(() => client.close())
  t.ok(pushed.size > 0)
  t.same(await client.checkPullability(`${registry.host}/team/app:multi`), {
    ok: false,
    class: 'invalid',
    reason: `a response from ${registry.host} for ${registry.host}/team/app:multi exceeds the 600-byte limit this service accepts for a manifest or config; an image whose manifest is that large is not one it can vouch for.`
  })
  const roomy = createRigClient([registry], { maxBodyBytes: 64 * 1024 })
  t.teardown(() => roomy.close())
  t.match(await roomy.checkPullability(`${registry.host}/team/app:multi`), { ok: true, digest: pushed.digest })
})
