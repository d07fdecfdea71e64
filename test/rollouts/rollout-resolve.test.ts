// What resolve answers as a rollout moves through its routes and its scheduler: the rollout changes
// and the resolve caches (this replica's and the others') follow at once.
import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { projectsAround } from '../helpers/rollout-buckets.js'
import { makeDue, rolloutUrl, rollingOut, waitFor } from './fixtures.js'

const PLAN = { stages: [{ projects: ['early-a'] }, { percent: 50 }], advanceAfter: '1h' }

async function resolver(app: TestApp, code: string) {
  const engine = await app.token({ name: `engine-${code}`, scopes: ['resolve'] })
  return async (spec: string, project: string, via: TestApp = app) => {
    const res = await via.call({ method: 'GET', url: `/v1/images/${code}/resolve?version=${spec}&project=${project}`, token: engine })
    return res.statusCode === 200 ? (res.json().version as string) : `${res.statusCode} ${res.json().code as string}`
  }
}

t.test('resolve follows the rollout: reached stages get it, the others the previous release', async (t) => {
  const app = await build(t)
  const { image } = await rollingOut(app, 'rr-stages', PLAN, { image: { visibilityPublic: true } })
  const { inside, outside } = projectsAround(image.id, 50)
  const resolve = await resolver(app, 'rr-stages')

  t.equal(await resolve('1.latest', 'early-a'), '1.1.0', 'a listed project of a reached stage')
  t.equal(await resolve('latest', 'early-a'), '1.1.0')
  t.equal(await resolve('1.1.latest', 'early-a'), '1.1.0')
  t.equal(await resolve('1.latest', inside), '1.0.0', 'the percent stage is not reached yet')
  t.equal(await resolve('1.latest', outside), '1.0.0')
  t.equal(await resolve('1.latest', 'debug-proj'), '1.1.0', 'the debug project always')
  t.equal(await resolve('1.1.0', outside), '1.1.0', 'an exact pin is an opt-in')

  t.equal((await app.call({ method: 'POST', url: rolloutUrl('rr-stages', '1.1.0', 'advance') })).statusCode, 200)
  t.equal(await resolve('1.latest', inside), '1.1.0', 'inside the 50 % now (the cached answer was dropped)')
  t.equal(await resolve('1.latest', outside), '1.0.0', 'outside it: still the previous release')
  t.equal(await resolve('1.latest', 'early-a'), '1.1.0', 'earlier stages stay reached')

  t.equal((await app.call({ method: 'POST', url: rolloutUrl('rr-stages', '1.1.0', 'pause') })).statusCode, 200)
  t.equal(await resolve('1.latest', inside), '1.1.0', 'a pause keeps whom it reaches')
  t.equal(await resolve('1.latest', outside), '1.0.0')

  t.equal((await app.call({ method: 'POST', url: rolloutUrl('rr-stages', '1.1.0', 'advance') })).json().state, 'completed')
  for (const project of ['early-a', inside, outside, 'debug-proj', 'anyone-else']) {
    t.equal(await resolve('1.latest', project), '1.1.0', `completed: ${project} gets it`)
  }
})

t.test('abort: everyone back on the previous release at once, through a cached resolve too', async (t) => {
  const app = await build(t)
  const { image } = await rollingOut(app, 'rr-abort', PLAN, { image: { visibilityPublic: true } })
  const { inside, outside } = projectsAround(image.id, 50)
  const resolve = await resolver(app, 'rr-abort')
  await app.call({ method: 'POST', url: rolloutUrl('rr-abort', '1.1.0', 'advance') })
  // Answered (and cached) before the abort.
  for (const project of ['early-a', inside, 'debug-proj']) t.equal(await resolve('1.latest', project), '1.1.0', project)
  t.equal(await resolve('1.latest', outside), '1.0.0')

  const aborted = await app.call({ method: 'POST', url: rolloutUrl('rr-abort', '1.1.0', 'abort'), payload: { reason: 'bad build' } })
  t.equal(aborted.statusCode, 200)
  for (const project of ['early-a', inside, outside, 'debug-proj']) {
    t.equal(await resolve('1.latest', project), '1.0.0', `${project}: the previous release at once`)
  }
  t.equal(await resolve('1.1.0', 'early-a'), '410 VERSION_WITHDRAWN', 'the withdrawn version is gone for pins too')
})

t.test("the scheduler's advance reaches another replica's cached answers", async (t) => {
  const first = await build(t, { env: { ROLLOUT_POLL_INTERVAL_MS: '100' } })
  const second = await build(t, { databaseUrl: first.databaseUrl, env: { ROLLOUT_POLL_INTERVAL_MS: '3600000' } })
  const { versionId } = await rollingOut(
    first,
    'rr-auto',
    { stages: [{ projects: ['early-a'] }], advanceAfter: '1h' },
    {
      image: { visibilityPublic: true }
    }
  )
  const resolve = await resolver(first, 'rr-auto')
  t.equal(await resolve('1.latest', 'late-b', second), '1.0.0', 'cached on the second replica')
  await makeDue(first, versionId)
  const answer = await waitFor(
    'the second replica to answer the completed rollout',
    () => resolve('1.latest', 'late-b', second),
    (v) => v === '1.1.0',
    // Well within the cache's 30 s safety TTL: the change itself dropped the entry.
    5_000
  )
  t.equal(answer, '1.1.0')
})
