// The operator's commands: whoami, tokens, events (and --follow). `cis` runs as a child process.
import { once } from 'node:events'
import t from 'tap'
import { ADMIN_TOKEN } from '../helpers/app.js'
import { listeningApp, runCis, spawnCis } from './run-cis.js'

t.test('operator commands against the service', async (t) => {
  const { app, url } = await listeningApp(t)
  const asAdmin = { CIS_URL: url, CIS_TOKEN: ADMIN_TOKEN }

  t.test('whoami names the token and never prints it', async (t) => {
    const run = await runCis(['whoami'], asAdmin)
    t.equal(run.code, 0, run.stderr)
    t.match(run.stdout, /^admin \(token [0-9a-f-]{36}\)\nscopes: {3}admin\nprojects: \(every project\)\nexpires: {2}never\n$/)
    const json = await runCis(['whoami', '--format', 'json'], asAdmin)
    t.match(JSON.parse(json.stdout), { name: 'admin', scopes: ['admin'], projects: null })
    t.notMatch(run.stdout + run.stderr + json.stdout + json.stderr, ADMIN_TOKEN)
  })

  t.test('tokens create, list and revoke', async (t) => {
    const created = await runCis(
      [
        'tokens',
        'create',
        '--name',
        'ci-runner',
        '--scope',
        'resolve',
        '--scope',
        'images:read',
        '--project',
        'payments',
        '--format',
        'secret'
      ],
      asAdmin
    )
    t.equal(created.code, 0, created.stderr)
    const secret = created.stdout.trim()
    t.match(secret, /^cis_\S{30,}$/, 'the new secret alone, for $(…)')
    const me = await runCis(['whoami', '--format', 'json'], { CIS_URL: url, CIS_TOKEN: secret })
    t.match(JSON.parse(me.stdout), { name: 'ci-runner', scopes: ['resolve', 'images:read'], projects: ['payments'] })
    const id = JSON.parse(me.stdout).tokenId as string

    const listed = await runCis(['tokens', 'list'], asAdmin)
    t.equal(listed.code, 0, listed.stderr)
    const row = listed.stdout.split('\n').find((line) => line.startsWith(id))
    t.match(row, new RegExp(`^${id}\\s+ci-runner\\s+cis_\\S+\\s+resolve,images:read\\s+payments\\s+active$`))
    t.notMatch(listed.stdout, secret, 'no secret in the list')

    const revoked = await runCis(['tokens', 'revoke', id], asAdmin)
    t.equal(revoked.code, 0, revoked.stderr)
    t.equal(revoked.stdout, `revoked ${id}\n`)
    const json = await runCis(['tokens', 'list', '--format', 'json'], asAdmin)
    t.match(
      JSON.parse(json.stdout).find((token: { id: string }) => token.id === id),
      { name: 'ci-runner', revokedAt: String }
    )
  })

  t.test('events of an image, oldest first, and --follow prints new ones as they happen', async (t) => {
    const created = await app.call({ method: 'POST', url: '/v1/images', payload: { code: 'ops-image', name: 'Ops', ownerProject: 'ops' } })
    t.equal(created.statusCode, 201, created.body)
    for (const name of ['Ops 2', 'Ops 3']) {
      const res = await app.call({ method: 'PATCH', url: '/v1/images/ops-image', payload: { name } })
      t.equal(res.statusCode, 200, res.body)
    }
    const run = await runCis(['events', 'ops-image'], asAdmin)
    t.equal(run.code, 0, run.stderr)
    t.same(
      run.stdout
        .trim()
        .split('\n')
        .map((line) => line.split(' ')[2]),
      ['image.associated', 'image.updated', 'image.updated']
    )
    const last = await runCis(['events', 'ops-image', '--limit', '1', '--format', 'json'], asAdmin)
    t.match(JSON.parse(last.stdout), { action: 'image.updated', details: { changes: { name: { from: 'Ops 2', to: 'Ops 3' } } } })

    const follower = spawnCis(['events', 'ops-image', '--follow', '--interval', '50', '--limit', '1', '--format', 'json'], asAdmin)
    t.teardown(() => {
      if (follower.exitCode === null) follower.kill('SIGKILL')
    })
    const lines: { id: number; details: unknown }[] = []
    let buffered = ''
    follower.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString()
      const complete = buffered.split('\n')
      buffered = complete.pop() ?? ''
      lines.push(...complete.map((line) => JSON.parse(line)))
    })
    const waitFor = async (count: number) => {
      const deadline = Date.now() + 20_000
      while (lines.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    await waitFor(1)
    // More new events than --limit between two polls: every one is printed, once, in commit order.
    for (const name of ['Ops 4', 'Ops 5', 'Ops 6']) await app.call({ method: 'PATCH', url: '/v1/images/ops-image', payload: { name } })
    await waitFor(4)
    follower.kill('SIGTERM')
    await once(follower, 'close')
    t.same(
      lines.map((e) => e.details),
      ['Ops 3', 'Ops 4', 'Ops 5', 'Ops 6'].map((to, i) => ({ changes: { name: { from: i === 0 ? 'Ops 2' : `Ops ${i + 2}`, to } } }))
    )
    t.ok(
      lines.every((e, i) => i === 0 || e.id > lines[i - 1]!.id),
      'each event once, in order'
    )
  })
})
