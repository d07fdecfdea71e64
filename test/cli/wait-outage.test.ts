// publish --wait rides out a service that cannot be reached for a while (a restart, a rollout):
// the polls that fail are tried again, said once on stderr, and the wait ends as the check does.
// The outage is a TCP forwarder in front of the service that stops listening and cuts its
// connections, then listens again on the same port.
import { once } from 'node:events'
import { createServer, connect, type Server, type Socket } from 'node:net'
import t from 'tap'
import { pushImage } from '../helpers/registry/index.js'
import { startStoryRegistry, trustRegistry, sleep } from '../e2e/story-helpers.js'
import { listeningApp, spawnCis } from './run-cis.js'

interface Forwarder {
  port: number
  down(): Promise<void>
  up(): Promise<void>
}

async function startForwarder(target: URL): Promise<Forwarder> {
  const sockets = new Set<Socket>()
  let server: Server | undefined
  const listen = async (port: number) => {
    server = createServer((client) => {
      const upstream = connect(Number(target.port), target.hostname)
      for (const s of [client, upstream]) {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
        s.on('error', () => s.destroy())
      }
      client.pipe(upstream).pipe(client)
    })
    server.listen(port, '127.0.0.1')
    await once(server, 'listening')
    return (server.address() as { port: number }).port
  }
  const port = await listen(0)
  const down = async () => {
    const closed = new Promise((resolve) => server?.close(resolve))
    for (const s of sockets) s.destroy()
    await closed
  }
  return { port, down, up: async () => void (await listen(port)) }
}

t.test('publish --wait through an outage of the service', async (t) => {
  const registry = await startStoryRegistry(t, { auth: 'none' })
  const { app, url } = await listeningApp(t, { env: trustRegistry(registry) })
  const forwarder = await startForwarder(new URL(url))
  t.teardown(forwarder.down)
  const created = await app.call({
    method: 'POST',
    url: '/v1/images',
    payload: { code: 'steady-image', name: 'Steady', ownerProject: 'ops' }
  })
  t.equal(created.statusCode, 201, created.body)
  const pushed = await pushImage(registry, { repository: 'team/steady', tag: '1', kind: 'oci-image' })
  const token = await app.token({ name: 'ops', scopes: ['images:read', 'images:write'], projects: ['ops'] })
  const cisUrl = `http://127.0.0.1:${forwarder.port}`

  const child = spawnCis(
    ['publish', 'steady-image', '--registry', registry.host, '--repository', 'team/steady', '--tag', '1', '--wait', '--interval', '2000'],
    { CIS_URL: cisUrl, CIS_TOKEN: token }
  )
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')))
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = once(child, 'close') as Promise<[number | null]>

  // Submitted: the first poll is two seconds away. The service goes away for longer than one poll.
  while (!stdout.includes('checking') && child.exitCode === null) await sleep(10)
  await forwarder.down()
  await sleep(3000)
  await forwarder.up()

  const [code] = await exited
  t.equal(code, 0, stderr)
  t.same(stdout.trim().split('\n'), [
    `steady-image 1.0.0 checking ${registry.host}/team/steady:1`,
    `steady-image 1.0.0 testing ${registry.host}/team/steady@${pushed.digest}`
  ])
  t.equal(stderr, `cis: cannot reach ${cisUrl}: ECONNREFUSED; still waiting\n`, 'the outage said once')
})
