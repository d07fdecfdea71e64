// The publisher's and the pipeline engine's commands end to end: `cis` in a child process against
// the service on a loopback port and a real registry holding the pushed images.
import t from 'tap'
import { pushImage, type PushedImage } from '../helpers/registry/index.js'
import { pollUntil, startStoryRegistry, trustRegistry } from '../e2e/story-helpers.js'
import { listeningApp, runCis } from './run-cis.js'

const CODE = 'cli-tools'
const REPO = 'tools/cli'

t.test('publish, release, resolve and withdraw with cis', async (t) => {
  const registry = await startStoryRegistry(t, { auth: 'none' })
  const { app, url } = await listeningApp(t, { env: trustRegistry(registry) })
  const publisher = await app.token({
    name: 'cli-publisher',
    scopes: ['images:read', 'images:write'],
    projects: ['payments', 'payments-debug']
  })
  const pipeline = await app.token({ name: 'pipeline-engine', scopes: ['resolve'] })
  const created = await app.call({
    method: 'POST',
    url: '/v1/images',
    token: publisher,
    payload: { code: CODE, name: 'CLI tools', ownerProject: 'payments', debugProject: 'payments-debug' }
  })
  t.equal(created.statusCode, 201, created.body)
  const asPublisher = { CIS_URL: url, CIS_TOKEN: publisher }
  const asPipeline = { CIS_URL: url, CIS_TOKEN: pipeline }
  const first = await pushImage(registry, { repository: REPO, tag: '1.0', kind: 'oci-index' })
  let second: PushedImage | undefined
  const publish = (tag: string, ...more: string[]) =>
    runCis(['publish', CODE, '--registry', registry.host, '--repository', REPO, '--tag', tag, '--no-credential', ...more], asPublisher)

  t.test('publish --wait follows the check to testing', async (t) => {
    const run = await publish('1.0', '--wait', '--interval', '50')
    t.equal(run.code, 0, run.stderr)
    t.equal(run.stderr, '')
    t.same(run.stdout.trim().split('\n'), [
      `${CODE} 1.0.0 checking ${registry.host}/${REPO}:1.0`,
      `${CODE} 1.0.0 testing ${registry.host}/${REPO}@${first.digest}`
    ])
  })

  t.test('release, then resolve --format ref prints the pinned reference alone', async (t) => {
    const released = await runCis(['release', CODE, '1.0.0'], asPublisher)
    t.equal(released.code, 0, released.stderr)
    t.equal(released.stdout, `${CODE} 1.0.0 released ${registry.host}/${REPO}@${first.digest}\n`)
    const ref = await runCis(['resolve', CODE, '1.latest', '--project', 'payments', '--format', 'ref'], asPipeline)
    t.equal(ref.code, 0, ref.stderr)
    t.equal(ref.stdout, `${registry.host}/${REPO}@${first.digest}\n`)
    const json = await runCis(['resolve', CODE, '1.latest', '--project', 'payments', '--pipeline', 'p-1', '--build', 'b-1'], asPipeline)
    t.equal(json.code, 0, json.stderr)
    t.match(JSON.parse(json.stdout), { image: CODE, spec: '1.latest', version: '1.0.0', status: 'released', digest: first.digest })
    // The resolution log is written after the answer: read until the row is there.
    const { value: logged } = await pollUntil(
      async () => {
        const log = await app.call({ method: 'GET', url: `/v1/images/${CODE}/resolutions?project=payments` })
        return log.json<{ items: { pipeline: string | null; build: string | null }[] }>().items.find((row) => row.pipeline === 'p-1')
      },
      50,
      5000
    )
    t.match(logged, { pipeline: 'p-1', build: 'b-1' }, 'resolve passes --pipeline and --build to the resolution log')
  })

  t.test('a tag the registry does not have: check_failed, its reason, exit 3; pushed, rechecked, released', async (t) => {
    const run = await publish('1.1', '--release-type', 'minor', '--wait', '--interval', '50')
    t.equal(run.code, 3, run.stdout)
    const [checking, failed, more] = run.stdout.split('\n')
    t.equal(checking, `${CODE} 1.1.0 checking ${registry.host}/${REPO}:1.1`)
    t.match(failed, `${CODE} 1.1.0 check_failed (not_found): ${registry.host}/${REPO}:1.1 was not found`)
    t.equal(more, '')
    t.equal(run.stderr, `cis: ${failed?.replace('check_failed', 'is check_failed')}\n`, 'the reason again on stderr')
    second = await pushImage(registry, { repository: REPO, tag: '1.1', kind: 'oci-image' })
    const rechecked = await runCis(['recheck', CODE, '1.1.0', '--wait', '--interval', '50', '--format', 'json'], asPublisher)
    t.equal(rechecked.code, 0, rechecked.stderr)
    t.match(JSON.parse(rechecked.stdout), { version: '1.1.0', status: 'testing', digest: second?.digest })
    t.equal((await runCis(['release', CODE, '1.1.0'], asPublisher)).code, 0)
    const latest = await runCis(['resolve', CODE, '1.latest', '--project', 'payments', '--format', 'ref'], asPipeline)
    t.equal(latest.stdout, `${registry.host}/${REPO}@${second?.digest}\n`)
  })

  t.test('withdraw: 1.latest falls back to the previous release', async (t) => {
    const withdrawn = await runCis(['withdraw', CODE, '1.1.0', '--reason', 'breaks npm ci', '--format', 'json'], asPublisher)
    t.equal(withdrawn.code, 0, withdrawn.stderr)
    t.match(JSON.parse(withdrawn.stdout), { version: '1.1.0', status: 'withdrawn', withdrawReason: 'breaks npm ci' })
    const after = await runCis(['resolve', CODE, '1.latest', '--project', 'payments', '--format', 'ref'], asPipeline)
    t.equal(after.stdout, `${registry.host}/${REPO}@${first.digest}\n`)
  })

  t.test('cancel a version before its check ends', async (t) => {
    const submitted = await publish('2.0', '--release-type', 'major', '--format', 'json')
    t.equal(submitted.code, 0, submitted.stderr)
    t.match(JSON.parse(submitted.stdout), { version: '2.0.0' })
    const cancelled = await runCis(['cancel', CODE, '2.0.0', '--reason', 'wrong line'], asPublisher)
    t.equal(cancelled.code, 0, cancelled.stderr)
    t.match(cancelled.stdout, new RegExp(`^${CODE} 2\\.0\\.0 cancelled `))
  })

  t.test('versions lists every version, newest first', async (t) => {
    const run = await runCis(['versions', CODE], asPublisher)
    t.equal(run.code, 0, run.stderr)
    const rows = run.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s{2,}/))
    t.same(rows, [
      ['VERSION', 'STATUS', 'REFERENCE', 'DIGEST / REASON'],
      ['2.0.0', 'cancelled', `${registry.host}/${REPO}:2.0`, rows[1]?.[3] ?? ''],
      ['1.1.0', 'withdrawn', `${registry.host}/${REPO}:1.1`, 'breaks npm ci'],
      ['1.0.0', 'released', `${registry.host}/${REPO}:1.0`, first.digest]
    ])
    const only = await runCis(['versions', CODE, '--status', 'released', '--line', '1', '--format', 'json'], asPublisher)
    t.same(
      JSON.parse(only.stdout).map((v: { version: string }) => v.version),
      ['1.0.0']
    )
  })
})
