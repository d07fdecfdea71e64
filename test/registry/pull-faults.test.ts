// Faults a real registry will not produce on demand, injected by the rig's proxy in front of one.
import t from 'tap'
import {
  TOKEN_SERVICE,
  createRigClient,
  pushImage,
  startFaultProxy,
  startRegistry,
  trustedHosts,
  type RigRegistry,
  type RigUser
} from '../helpers/registry/index.js'

async function pullToken(registry: RigRegistry, user: RigUser | undefined): Promise<string> {
  const url = new URL(registry.tokenServer?.realm ?? '')
  url.search = new URLSearchParams({ service: TOKEN_SERVICE, scope: 'repository:team/app:pull' }).toString()
  const basic = Buffer.from(`${user?.username ?? ''}:${user?.password ?? ''}`).toString('base64')
  const res = await fetch(url, { headers: { authorization: `Basic ${basic}` } })
  return `Bearer ${((await res.json()) as { token: string }).token}`
}

t.test('faults through the proxy', async (t) => {
  const registry = await startRegistry({ auth: 'token' })
  t.teardown(registry.stop)
  const proxy = await startFaultProxy(registry)
  t.teardown(proxy.stop)
  const client = createRigClient([registry, proxy], { totalTimeoutMs: 1500 })
  t.teardown(() => client.close())
  const user = { ...registry.users[0]!, registries: trustedHosts(registry, proxy) }
  const pushed = await pushImage(registry, { repository: 'team/app', tag: '1', kind: 'oci-index' })
  const image = `${proxy.host}/team/app:1`

  t.test('pass mode changes nothing', async (t) => {
    proxy.setMode('pass')
    t.same(await client.checkPullability(image, user), {
      ok: true,
      digest: pushed.digest,
      mediaType: pushed.mediaType,
      platforms: pushed.platforms,
      size: pushed.size
    })
  })

  t.test('429 with Retry-After in seconds', async (t) => {
    proxy.setMode('rate-limit', { retryAfter: '42' })
    const outcome = await client.checkPullability(image, user)
    t.same(outcome, {
      ok: false,
      class: 'rate_limited',
      reason: `${proxy.host} rate-limited the check of ${image} (HTTP 429); retry in 42 s.`,
      retryAfterMs: 42_000
    })
  })

  t.test('429 with Retry-After as an HTTP date, anonymous', async (t) => {
    proxy.setMode('rate-limit', { retryAfter: new Date(Date.now() + 120_000).toUTCString() })
    const outcome = await client.checkPullability(image)
    t.match(outcome, { ok: false, class: 'rate_limited', reason: /or attach a credential to raise the limit\.$/ })
    const wait = outcome.ok ? -1 : (outcome.retryAfterMs ?? -1)
    t.ok(wait > 115_000 && wait <= 120_000, `retryAfterMs ${wait} is about two minutes`)
  })

  t.test('HEAD without Docker-Content-Digest: the digest comes from the GET body', async (t) => {
    proxy.setMode('strip-digest')
    const head = await fetch(`${proxy.url}/v2/team/app/manifests/1`, {
      method: 'HEAD',
      headers: { accept: pushed.mediaType, authorization: await pullToken(registry, user) }
    })
    t.equal(head.status, 200)
    t.equal(head.headers.get('docker-content-digest'), null, 'the proxy really strips it')
    const outcome = await client.checkPullability(image, user)
    t.same(outcome, { ok: true, digest: pushed.digest, mediaType: pushed.mediaType, platforms: pushed.platforms, size: pushed.size })
  })

  t.test('503 on everything', async (t) => {
    proxy.setMode('unavailable')
    t.same(await client.checkPullability(image, user), {
      ok: false,
      class: 'unavailable',
      reason: `${proxy.host} answered HTTP 503 while checking ${image}; retry later and check the registry's health.`
    })
  })

  t.test('a redirect to another origin never receives the Authorization header', async (t) => {
    proxy.setMode('redirect')
    const before = proxy.redirectTarget.requests.length
    const outcome = await client.checkPullability(image, user)
    t.same(outcome, { ok: true, digest: pushed.digest, mediaType: pushed.mediaType, platforms: pushed.platforms, size: pushed.size })
    const redirected = proxy.redirectTarget.requests.slice(before)
    t.same(
      redirected.map((r) => r.method),
      ['HEAD', 'GET'],
      'both manifest requests were redirected'
    )
    t.same(
      redirected.map((r) => r.authorization),
      [undefined, undefined]
    )
    const atProxy = proxy.requests.filter((r) => r.mode === 'redirect' && r.path.includes('/manifests/'))
    t.ok(atProxy.length >= 2, 'the registry origin itself did get authenticated requests')
  })

  t.test('a registry that never answers times out as unavailable', async (t) => {
    proxy.setMode('hang')
    const started = Date.now()
    const outcome = await client.checkPullability(image, user)
    const elapsed = Date.now() - started
    t.same(outcome, {
      ok: false,
      class: 'unavailable',
      reason: `${proxy.host} did not answer within 1500 ms (REGISTRY_TIMEOUT_MS) while checking ${image}; retry later, and check the host and that the registry is running.`
    })
    t.ok(elapsed >= 1400 && elapsed < 4000, `gave up after ${elapsed} ms`)
  })
})
