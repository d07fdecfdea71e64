// How `cis` fails: a usage error (exit 2), a problem from the service (exit 1, its title, code and
// detail on stderr), a service that cannot be reached (exit 4). `cis` runs as a child process.
import { once } from 'node:events'
import { createServer } from 'node:http'
import t from 'tap'
import { ADMIN_TOKEN } from '../helpers/app.js'
import { freePort } from '../helpers/server-process.js'
import { listeningApp, runCis, spawnCis } from './run-cis.js'

t.test('problems from the service', async (t) => {
  const { url } = await listeningApp(t)
  const asAdmin = { CIS_URL: url, CIS_TOKEN: ADMIN_TOKEN }

  t.test('a wrong token: the problem on stderr, exit 1, the token not echoed', async (t) => {
    const wrong = 'cis_not-a-token-of-this-service-0000000000'
    const run = await runCis(['whoami'], { CIS_URL: url, CIS_TOKEN: wrong })
    t.equal(run.code, 1)
    t.equal(run.stdout, '')
    const [first, detail] = run.stderr.split('\n')
    t.match(first, /^cis: Unauthorized \(HTTP 401, [A-Z_]+\)$/)
    t.ok(detail && detail.trim().length > 0, 'the detail on its own line')
    t.match(run.stderr, /request id: \S+/)
    t.notMatch(run.stderr, wrong)
  })

  t.test('an image that does not exist: 404 with its code', async (t) => {
    const run = await runCis(
      [
        'publish',
        'no-such-image',
        '--repository',
        'a/b',
        '--tag',
        '1',
        '--registry',
        'registry.example.com',
        '--release-type',
        'patch',
        '--line',
        '2'
      ],
      asAdmin
    )
    t.equal(run.code, 1, run.stderr)
    t.match(run.stderr, /^cis: Not Found \(HTTP 404, IMAGE_NOT_FOUND\)\n {2}\S/)
  })

  t.test('a problem with invalid fields lists them', async (t) => {
    const run = await runCis(['tokens', 'create', '--name', 'bad', '--scope', 'nonsense'], asAdmin)
    t.equal(run.code, 1, run.stderr)
    t.match(run.stderr, /^cis: .* \(HTTP 400, VALIDATION_FAILED\)\n/)
    t.match(run.stderr, /scopes/)
  })
})

t.test('usage errors exit 2 and name the problem', async (t) => {
  const missing = await runCis(['publish', 'some-image', '--tag', 'x'], { CIS_TOKEN: 'cis_unused' })
  t.equal(missing.code, 2)
  t.match(missing.stderr, /required option '--repository <name>' not specified/)
  const unknown = await runCis(['frobnicate'], { CIS_TOKEN: 'cis_unused' })
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, /unknown command 'frobnicate'/)
  const badNumber = await runCis(['events', 'some-image', '--limit', 'many'], { CIS_TOKEN: 'cis_unused' })
  t.equal(badNumber.code, 2)
  t.match(badNumber.stderr, /--limit <n>' argument 'many' is invalid/)
  const noToken = await runCis(['whoami'], {})
  t.equal(noToken.code, 2)
  t.equal(noToken.stderr, 'cis: no token: set CIS_TOKEN (or pass --token)\n')
  const notUrl = await runCis(['whoami', '--url', 'not a url'], { CIS_TOKEN: 'cis_unused' })
  t.equal(notUrl.code, 2)
  t.equal(notUrl.stderr, 'cis: --url (or CIS_URL) is not a URL: not a url\n')
  const ftp = await runCis(['whoami'], { CIS_URL: 'ftp://127.0.0.1/', CIS_TOKEN: 'cis_unused' })
  t.equal(ftp.code, 2)
  t.equal(ftp.stderr, 'cis: --url must be http or https: ftp://127.0.0.1/\n')
  const help = await runCis(['--help'], {})
  t.equal(help.code, 0)
  t.match(help.stdout, /Exit codes:\n {2}0 {2}done\n {2}1 .*\n {2}2 .*\n {2}3 .*\n {2}4 .*\n {2}5 /)
})

t.test('a service that cannot be reached: exit 4', async (t) => {
  const port = await freePort()
  const run = await runCis(['whoami'], { CIS_URL: `http://127.0.0.1:${port}`, CIS_TOKEN: 'cis_secret-that-must-not-show-0000000' })
  t.equal(run.code, 4)
  t.equal(run.stderr, `cis: cannot reach http://127.0.0.1:${port}: ECONNREFUSED\n`)
})

t.test('a reader that stops early ends the run quietly', async (t) => {
  const child = spawnCis(['--help'], {})
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
  // Closed before cis writes anything: its first write meets a closed pipe.
  child.stdout?.destroy()
  const [code] = (await once(child, 'exit')) as [number | null]
  t.equal(code, 0)
  t.equal(stderr, '')
})

// What a misconfigured CIS_URL or a proxy in front of the service may answer.
t.test('an answer that is not the service: said so, exit 1', async (t) => {
  let answer = { status: 502, type: 'text/html', body: '<html>Bad Gateway</html>' }
  const server = createServer((_req, res) => res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  const { port } = server.address() as { port: number }
  const cis = { CIS_URL: `http://127.0.0.1:${port}`, CIS_TOKEN: 'cis_secret-that-must-not-show-0000000' }

  const gateway = await runCis(['whoami'], cis)
  t.equal(gateway.code, 1)
  t.equal(gateway.stderr, 'cis: HTTP 502, not a problem document: <html>Bad Gateway</html>\n')

  answer = { status: 200, type: 'application/json', body: '{"half an answer' }
  const broken = await runCis(['whoami'], cis)
  t.equal(broken.code, 1)
  t.match(broken.stderr, new RegExp(`^cis: unexpected answer from http://127\\.0\\.0\\.1:${port}: .*JSON`))
})
