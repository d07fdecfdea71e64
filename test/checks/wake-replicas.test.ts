import t from 'tap'
import { build } from '../helpers/app.js'
import { checkJobsQueue } from '../../src/checks/check-queue.js'
import { ChangeBus } from '../../src/changes/change-bus.js'
import { commitChanges } from '../../src/changes/commit-changes.js'
import { submitVersionRow } from '../../src/versions/version-transitions.js'
import { silent } from './queue-fixtures.js'
import { createImage, push, registryEnv, startTestRegistry, submit, waitForCheck } from '../versions/fixtures.js'

t.test('a job queued by another replica wakes this one through NOTIFY, long before its next poll', async (t) => {
  const registry = await startTestRegistry(t)
  const pushed = await push(registry, 'team/wake', 'v1')
  const app = await build(t, { env: { ...registryEnv(registry), CHECK_POLL_INTERVAL_MS: '600000' } })
  await app.app.ready()
  await createImage(app, { code: 'wake' })
  const image = await app.app.db.selectFrom('images').select(['id', 'code']).where('code', '=', 'wake').executeTakeFirstOrThrow()
  await new Promise((resolve) => setTimeout(resolve, 300))

  // What another replica's submission commits: the version, its job and its event, told to that
  // replica's own notifier, nothing in this process's.
  const elsewhere = new ChangeBus(silent)
  const started = Date.now()
  await commitChanges(app.app.db, elsewhere, async (trx, record) => {
    const values = {
      imageId: image.id,
      major: 1,
      minor: 0,
      patch: 0,
      status: 'checking' as const,
      registry: registry.host,
      repository: 'team/wake',
      tag: 'v1',
      submittedBy: 'elsewhere'
    }
    await submitVersionRow(
      { trx, record, actor: { name: 'elsewhere', tokenId: null, projects: null } },
      checkJobsQueue,
      image,
      values,
      null
    )
  })
  const v = await waitForCheck(app, 'wake', '1.0.0', 20_000)
  t.match(v, { status: 'testing', digest: pushed.digest })
  t.ok(Date.now() - started < 10_000, `checked after ${Date.now() - started} ms, not after the 10-minute poll`)
})

t.test('a submission is checked at once, without waiting for a poll', async (t) => {
  const registry = await startTestRegistry(t)
  await push(registry, 'team/wake', 'v1')
  const app = await build(t, { env: { ...registryEnv(registry), CHECK_POLL_INTERVAL_MS: '600000' } })
  await createImage(app, { code: 'wake-local' })
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal((await submit(app, 'wake-local', { registry: registry.host, repository: 'team/wake', tag: 'v1' })).statusCode, 202)
  t.equal((await waitForCheck(app, 'wake-local', '1.0.0', 20_000)).status, 'testing')
})
