// A credential goes only to the registry hosts it is bound to. Fake registries on 127.0.0.1 (two
// ports = two hosts) log every Authorization header they receive; the log is the proof.
import t, { type Test } from 'tap'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRigClient, pushImage, startRegistry } from '../helpers/registry/index.js'
import { listenLocal, type Listening } from '../helpers/registry/listen.js'

const PASSWORD = 'exfiltrate-me-9f2c'
const SECRET_BASE64 = Buffer.from(`robot:${PASSWORD}`).toString('base64')

interface Seen {
  path: string
  authorization: string | undefined
}

interface FakeHost extends Listening {
  seen: Seen[]
  /** For the client's insecureHosts / allowedPrivateHosts. */
  hosts: string[]
}

async function fakeHost(t: Test, handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeHost> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization })
    handle(req, res)
  })
  const listening = await listenLocal(server)
  t.teardown(() => listening.close())
  return { ...listening, seen, hosts: [listening.host] }
}

const answer = (res: ServerResponse, status: number, headers: Record<string, string> = {}, body = ''): void => {
  res.writeHead(status, headers).end(body)
}

const leaked = (host: FakeHost): Seen[] => host.seen.filter((s) => s.authorization?.includes(SECRET_BASE64) === true)

t.test('Basic challenge on a host the credential is not bound to: nothing is sent', async (t) => {
  const outside = await fakeHost(t, (_req, res) => answer(res, 401, { 'www-authenticate': 'Basic realm="x"' }))
  const client = createRigClient([outside])
  t.teardown(() => client.close())
  const credential = { username: 'robot', password: PASSWORD, registries: ['harbor.example.com', '127.0.0.1:1'] }

  const outcome = await client.checkPullability(`${outside.host}/team/app:1`, credential)
  t.match(outcome, {
    ok: false,
    class: 'unauthorized',
    reason: new RegExp(`${outside.host} is not among its registries \\(harbor\\.example\\.com, 127\\.0\\.0\\.1:1\\)`)
  })
  t.notMatch(JSON.stringify(outcome), PASSWORD)
  t.ok(outside.seen.length > 0, 'the host was asked')
  t.same(
    outside.seen.filter((s) => s.authorization !== undefined),
    [],
    'no Authorization header at all'
  )

  // The same host, once bound, does get the credential: the log would have shown a leak.
  const bound = await client.checkPullability(`${outside.host}/team/app:1`, { ...credential, registries: [outside.host] })
  t.match(bound, { ok: false, class: 'unauthorized', reason: /for user "robot"/ })
  t.ok(leaked(outside).length > 0, 'a bound host receives Basic credentials')
})

t.test('Bearer realm on another host: the token is asked for anonymously', async (t) => {
  const tokens = await fakeHost(t, (req, res) => {
    if (req.headers.authorization === undefined) return answer(res, 401, {}, '{"errors":[{"code":"UNAUTHORIZED"}]}')
    answer(res, 200, { 'content-type': 'application/json' }, '{"token":"t0k"}')
  })
  const registry = await fakeHost(t, (_req, res) =>
    answer(res, 401, { 'www-authenticate': `Bearer realm="${tokens.url}/token",service="fake",scope="repository:team/app:pull"` })
  )
  const client = createRigClient([tokens, registry])
  t.teardown(() => client.close())
  const credential = { username: 'robot', password: PASSWORD, registries: [registry.host] }

  const outcome = await client.checkPullability(`${registry.host}/team/app:1`, credential)
  t.match(outcome, {
    ok: false,
    class: 'unauthorized',
    reason: new RegExp(
      `${tokens.host} refused anonymous access .*not among its registries \\(${registry.host}\\).*add "${tokens.host}" to the credential's registries with PATCH`
    )
  })
  t.ok(tokens.seen.length > 0, 'the realm was asked')
  t.same(leaked(tokens), [], 'the token service never saw the credential')
  t.same(leaked(registry), [], 'nor did the registry (Bearer challenge)')
})

t.test('a redirect to another origin never carries the Authorization header', async (t) => {
  const blobs = await fakeHost(t, (_req, res) => answer(res, 404))
  const registry = await fakeHost(t, (req, res) => {
    if (req.headers.authorization !== `Basic ${SECRET_BASE64}`) return answer(res, 401, { 'www-authenticate': 'Basic realm="x"' })
    if (req.url === '/v2/') return answer(res, 200)
    answer(res, 307, { location: `${blobs.url}${req.url ?? '/'}` })
  })
  const client = createRigClient([registry, blobs])
  t.teardown(() => client.close())
  const credential = { username: 'robot', password: PASSWORD, registries: [registry.host] }

  const outcome = await client.checkPullability(`${registry.host}/team/app:1`, credential)
  t.match(outcome, { ok: false, class: 'not_found' })
  t.ok(leaked(registry).length > 0, 'the bound registry got the credential')
  t.ok(blobs.seen.length > 0, 'the redirect was followed')
  t.same(
    blobs.seen.filter((s) => s.authorization !== undefined),
    [],
    'the other origin got no Authorization'
  )
})

t.test('real token registry: a realm the credential is not bound to gets no credential; bound, the pull works', async (t) => {
  const registry = await startRegistry({ auth: 'token' })
  t.teardown(registry.stop)
  const client = createRigClient([registry])
  t.teardown(() => client.close())
  const pushed = await pushImage(registry, { repository: 'team/private', tag: '1', kind: 'oci-image' })
  const tokenServer = registry.tokenServer
  if (tokenServer === undefined) throw new Error('token mode without a token server')
  const user = registry.users[0]!

  const before = tokenServer.requests.length
  const registryOnly = await client.checkPullability(`${registry.host}/team/private:1`, { ...user, registries: [registry.host] })
  t.match(registryOnly, {
    ok: false,
    class: 'unauthorized',
    reason: new RegExp(`add "${tokenServer.host}" to the credential's registries`)
  })
  const asked = tokenServer.requests.slice(before)
  t.ok(asked.length > 0 && asked.every((r) => r.username === undefined), 'asked, and only anonymously')

  const both = await client.checkPullability(`${registry.host}/team/private:1`, { ...user, registries: [registry.host, tokenServer.host] })
  t.match(both, { ok: true, digest: pushed.digest })
  t.equal(tokenServer.requests.at(-1)?.username, user.username)
})
