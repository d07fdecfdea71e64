// publish --wait gives up after --timeout while the registry does not answer: exit 5, and the
// version is left checking for a later `cis versions` or a new --wait.
import t from 'tap'
import { startFaultProxy, trustedHosts } from '../helpers/registry/index.js'
import { startStoryRegistry, trustRegistry } from '../e2e/story-helpers.js'
import { listeningApp, runCis } from './run-cis.js'

t.test('publish --wait --timeout against a registry that hangs', async (t) => {
  const registry = await startStoryRegistry(t, { auth: 'none' })
  const proxy = await startFaultProxy(registry, { mode: 'hang' })
  t.teardown(proxy.stop)
  const hosts = trustedHosts(registry, proxy).join(',')
  const { app, url } = await listeningApp(t, {
    env: {
      ...trustRegistry(registry),
      REGISTRY_INSECURE_HOSTS: hosts,
      REGISTRY_ALLOWED_PRIVATE_HOSTS: hosts,
      // Long enough to outlast the wait; short enough not to hold up closing the app.
      REGISTRY_TIMEOUT_MS: '4000'
    }
  })
  const created = await app.call({ method: 'POST', url: '/v1/images', payload: { code: 'slow-image', name: 'Slow', ownerProject: 'ops' } })
  t.equal(created.statusCode, 201, created.body)

  const run = await runCis(
    [
      'publish',
      'slow-image',
      '--registry',
      proxy.host,
      '--repository',
      'team/slow',
      '--tag',
      '1',
      '--wait',
      '--interval',
      '100',
      '--timeout',
      '1'
    ],
    { CIS_URL: url, CIS_TOKEN: await app.token({ name: 'ops', scopes: ['images:read', 'images:write'], projects: ['ops'] }) }
  )
  t.equal(run.code, 5, run.stderr)
  t.equal(run.stdout, `slow-image 1.0.0 checking ${proxy.host}/team/slow:1\n`)
  t.equal(run.stderr, 'cis: slow-image 1.0.0 is still checking after 1 s\n')
  t.ok(proxy.requests.length > 0, 'the check did reach the registry')
})
