import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { startTcpProxy } from '../resolve/helpers/tcp-proxy.js'
import { checkDetails, makeDue, rolloutEvents, rolloutUrl, rollingOut, waitFor } from './fixtures.js'

const FAST = { ROLLOUT_POLL_INTERVAL_MS: '100' }

const rolloutOf = async (app: TestApp, code: string) => (await app.call({ method: 'GET', url: rolloutUrl(code, '1.1.0') })).json()

const advancesCounted = async (app: TestApp) => {
  const text = await app.app.metrics.getSingleMetricAsString('ci_image_store_rollout_advances_total')
  const count = (trigger: string) => Number(new RegExp(`trigger="${trigger}"} (\\d+)`).exec(text)?.[1])
  return { manual: count('manual'), automatic: count('automatic') }
}

t.test('the service advances each stage after advanceAfter, to completion', async (t) => {
  const app = await build(t, { env: FAST })
  const started = Date.now()
  await rollingOut(app, 'auto', { stages: [{ projects: ['early-a'] }, { percent: 30 }], advanceAfter: '1s' })

  const second = await waitFor(
    'stage 1',
    () => rolloutOf(app, 'auto'),
    (r) => r.stage >= 1
  )
  t.equal(second.stage, 1)
  t.ok(Date.now() - started >= 1000, 'not before advanceAfter')
  t.match(second, { state: 'rolling_out', reached: { projects: ['early-a'], percent: 30 } })
  t.ok(Date.parse(second.nextAdvanceAt) - Date.parse(second.stageStartedAt) === 1000, 'the next stage lasts advanceAfter from its start')

  const done = await waitFor(
    'completion',
    () => rolloutOf(app, 'auto'),
    (r) => r.state === 'completed'
  )
  t.match(done, { stage: 2, nextAdvanceAt: null, reached: { percent: 100 }, allowedActions: [] })
  t.ok(Date.now() - started >= 2000, 'two stages of a second each')

  const events = await rolloutEvents(app, 'auto')
  t.same(
    events.map((e) => [e.action, e.details, e.actor, e.actorProjects, e.requestId]),
    [
      [
        'version.rollout_started',
        { stages: [{ projects: ['early-a'] }, { percent: 30 }], advanceAfter: '1s', stage: 0 },
        'publisher',
        null,
        null
      ],
      ['version.rollout_advanced', { from: 0, to: 1, automatic: true }, 'rollout-scheduler', null, null],
      ['version.rollout_completed', { stage: 2, automatic: true }, 'rollout-scheduler', null, null]
    ]
  )
  checkDetails(t, events)
  t.same(await advancesCounted(app), { manual: 0, automatic: 2 })
  t.ok(
    app.logs.some((line) => line.includes('"msg":"rollout advanced"') && line.includes('"component":"rollout-scheduler"')),
    'each advance is logged'
  )
})

t.test('pause stops the clock; resume restarts it for a whole advanceAfter', async (t) => {
  const app = await build(t, { env: FAST })
  await rollingOut(app, 'clock', { stages: [{ percent: 10 }, { percent: 20 }], advanceAfter: '2s' })
  const paused = await app.call({ method: 'POST', url: rolloutUrl('clock', '1.1.0', 'pause') })
  t.match(paused.json(), { state: 'paused', stage: 0 }, 'paused within the first stage')
  await new Promise((resolve) => setTimeout(resolve, 2500))
  t.match(await rolloutOf(app, 'clock'), { state: 'paused', stage: 0 }, 'a paused rollout stays at its stage past advanceAfter')

  const resumedAt = Date.now()
  const resumed = await app.call({ method: 'POST', url: rolloutUrl('clock', '1.1.0', 'resume') })
  t.match(resumed.json(), { state: 'rolling_out', stage: 0 })
  const advanced = await waitFor(
    'the advance after resume',
    () => rolloutOf(app, 'clock'),
    (r) => r.stage >= 1
  )
  t.equal(advanced.stage, 1)
  t.ok(Date.now() - resumedAt >= 2000, 'a whole advanceAfter after the resume, not what was left before the pause')
  t.same(await advancesCounted(app), { manual: 0, automatic: 1 })

  await app.call({ method: 'POST', url: rolloutUrl('clock', '1.1.0', 'advance'), payload: { fromStage: 1 } })
  t.same(await advancesCounted(app), { manual: 1, automatic: 1 }, 'advances by hand are counted apart')
})

t.test('a rollout without advanceAfter, or one not due yet, is left alone', async (t) => {
  const app = await build(t, { env: FAST })
  await rollingOut(app, 'by-hand', { stages: [{ percent: 10 }], advanceAfter: null })
  await rollingOut(app, 'not-due', { stages: [{ percent: 10 }], advanceAfter: '1h' })
  await new Promise((resolve) => setTimeout(resolve, 600))
  t.match(await rolloutOf(app, 'by-hand'), { stage: 0, state: 'rolling_out' })
  t.match(await rolloutOf(app, 'not-due'), { stage: 0, state: 'rolling_out' })
})

t.test('two replicas on one database: each due rollout is advanced once', async (t) => {
  const first = await build(t, { env: FAST })
  const second = await build(t, { env: FAST, databaseUrl: first.databaseUrl })
  // Schedulers start when an app is ready (inject makes it ready too, but only at the first call).
  await Promise.all([first.app.ready(), second.app.ready()])
  const codes = Array.from({ length: 8 }, (_, i) => `twin-${i}`)
  const ids: string[] = []
  for (const code of codes)
    ids.push((await rollingOut(first, code, { stages: [{ percent: 10 }, { percent: 20 }], advanceAfter: '1h' })).versionId)
  // All due at once, while both schedulers poll every 100 ms.
  await Promise.all(ids.map((id) => makeDue(first, id)))
  for (const code of codes)
    await waitFor(
      `${code} advanced`,
      () => rolloutOf(first, code),
      (r) => r.stage >= 1
    )
  await new Promise((resolve) => setTimeout(resolve, 500))
  for (const code of codes) {
    const events = await rolloutEvents(first, code)
    t.equal(events.filter((e) => e.action === 'version.rollout_advanced').length, 1, `${code}: one advance`)
    t.match(await rolloutOf(second, code), { stage: 1, state: 'rolling_out' })
  }
  const counted = [await advancesCounted(first), await advancesCounted(second)]
  t.equal(counted[0]!.automatic + counted[1]!.automatic, codes.length, 'the replicas shared the work, each advance counted once')
})

t.test('closing the app stops the scheduler cleanly, a look under way included', async (t) => {
  const app = await build(t, { env: FAST })
  await app.app.ready()
  const { versionId } = await rollingOut(app, 'closing', { stages: [{ percent: 10 }, { percent: 20 }], advanceAfter: '1h' })
  await makeDue(app, versionId)
  await waitFor(
    'the advance',
    () => rolloutOf(app, 'closing'),
    (r) => r.stage >= 1
  )
  await makeDue(app, versionId)
  await app.app.close()
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.notOk(
    app.logs.some((line) => line.includes('could not advance due rollouts')),
    'no look ran into a closed database'
  )
})

t.test('a database outage is logged and the scheduler goes on when it ends', async (t) => {
  // The direct app only writes fixtures and reads: its scheduler looks once, at start, before anything is due.
  const direct = await build(t, { env: { ROLLOUT_POLL_INTERVAL_MS: '3600000' } })
  await direct.app.ready()
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 })
  t.teardown(() => proxy.close())
  const app = await build(t, { databaseUrl: proxy.url(direct.databaseUrl), env: FAST })
  await app.app.ready()
  const { versionId } = await rollingOut(direct, 'outage', { stages: [{ percent: 10 }, { percent: 20 }], advanceAfter: '1h' })

  await proxy.cut('refuse')
  await makeDue(direct, versionId)
  await waitFor(
    'a failed look to be logged',
    async () => app.logs.filter((line) => line.includes('could not advance due rollouts')).length,
    (n) => n >= 2
  )
  t.match(await rolloutOf(direct, 'outage'), { stage: 0 }, 'nothing advanced meanwhile')

  await proxy.restore()
  const advanced = await waitFor(
    'the advance after the outage',
    () => rolloutOf(direct, 'outage'),
    (r) => r.stage >= 1
  )
  t.match(advanced, { stage: 1, state: 'rolling_out' })
  const events = await rolloutEvents(direct, 'outage')
  t.equal(events.filter((e) => e.action === 'version.rollout_advanced').length, 1)
})
