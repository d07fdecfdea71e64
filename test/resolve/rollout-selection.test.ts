import t from 'tap'
import { commitChanges } from '../../src/changes/commit-changes.js'
import { bucketOf } from '../../src/rollouts/rollout-reach.js'
import type { RolloutPlan } from '../../src/versions/rollout-plan.js'
import { build, type TestApp } from '../helpers/app.js'
import { projectsAround } from '../helpers/rollout-buckets.js'
import { insertImage, insertRollout, insertVersion, setStatus } from './fixtures.js'

const PLAN: RolloutPlan = { stages: [{ projects: ['early-a'] }, { percent: 10 }, { percent: 50 }], advanceAfter: '24h' }

/** Moves the rollout as rollouts/ does: the row and its event in one transaction, resolve caches dropped. */
async function moveRollout(
  app: TestApp['app'],
  image: { id: string; code: string },
  version: { id: string; number: string },
  set: { stage?: number; state?: 'rolling_out' | 'paused' | 'completed' | 'aborted' },
  action: string,
  details: Record<string, unknown>
): Promise<void> {
  await commitChanges(app.db, app.changes, async (trx, record) => {
    await trx.updateTable('versionRollouts').set(set).where('versionId', '=', version.id).execute()
    await record({
      image,
      action,
      actor: { name: 'test fixture', tokenId: null, projects: null },
      version: { id: version.id, number: version.number, digest: null },
      details,
      changesResolutions: true
    })
  })
}

t.test('resolve while a version rolls out', async (t) => {
  const { app, call, token } = await build(t)
  const tools = await insertImage(app.db, 'tools', { visibilityPublic: true })
  await insertVersion(app.db, tools, '1.0.0', 'released')
  const rolling = { ...(await insertVersion(app.db, tools, '1.1.0', 'released')), number: '1.1.0' }
  await insertRollout(app.db, tools, rolling.id, PLAN, 0)
  const { inside, outside } = projectsAround(tools.id, 10)
  const engine = await token({ name: 'engine', scopes: ['resolve'] })

  const resolve = async (spec: string, project: string) => {
    const res = await call({ method: 'GET', url: `/v1/images/tools/resolve?version=${spec}&project=${project}`, token: engine })
    return res.statusCode === 200 ? (res.json().version as string) : `${res.statusCode} ${res.json().code}`
  }
  const batch = async (project: string, specs: string[]) => {
    const res = await call({
      method: 'POST',
      url: '/v1/resolve',
      token: engine,
      payload: { project, images: specs.map((version) => ({ image: 'tools', version })) }
    })
    return (res.json().results as Array<{ resolution?: { version: string }; problem?: { status: number; code: string } }>).map((r) =>
      r.resolution ? r.resolution.version : `${r.problem?.status} ${r.problem?.code}`
    )
  }
  const SPECS = ['1.latest', 'latest', '1.1.latest', '1.1.0', '1.0.0']
  /** Each spec for each project, resolved twice (the second from the memo) and in a batch: all must agree. */
  const answers = async (projects: string[]) => {
    const out: Record<string, string[]> = {}
    for (const project of projects) {
      const single: string[] = []
      for (const spec of SPECS) single.push(await resolve(spec, project))
      for (const spec of SPECS) t.equal(await resolve(spec, project), single[SPECS.indexOf(spec)], `${project} ${spec}: cached answer`)
      t.same(await batch(project, SPECS), single, `${project}: batch resolve answers the same`)
      out[project] = single
    }
    return out
  }

  await t.test('stage 1 of 3: the listed project and the debug project get it; everyone else the previous release', async (t) => {
    const got = await answers(['early-a', 'payments', 'debug-proj', inside])
    t.same(got['early-a'], ['1.1.0', '1.1.0', '1.1.0', '1.1.0', '1.0.0'])
    t.same(got['debug-proj'], ['1.1.0', '1.1.0', '1.1.0', '1.1.0', '1.0.0'], 'the debug project is always reached')
    t.same(
      got.payments,
      ['1.0.0', '1.0.0', '404 VERSION_NOT_FOUND', '1.1.0', '1.0.0'],
      'not reached: the previous release; an exact pin of the rolling version is an opt-in'
    )
    t.same(got[inside], got.payments, 'percent stages come later')
  })

  await t.test('the cache drops the image when the rollout advances', async (t) => {
    await app.db.updateTable('versionRollouts').set({ stage: 1 }).where('versionId', '=', rolling.id).execute()
    t.equal(await resolve('1.latest', inside), '1.0.0', 'still cached before the change is announced')
    await moveRollout(app, tools, rolling, { stage: 1 }, 'version.rollout_advanced', { from: 0, to: 1, automatic: false })
    const got = await answers([inside, outside, 'early-a'])
    t.equal(got[inside]?.[0], '1.1.0', `${inside} is in the first 10% of projects (bucket ${bucketOf(tools.id, inside)})`)
    t.equal(got[outside]?.[0], '1.0.0', `${outside} is not (bucket ${bucketOf(tools.id, outside)})`)
    t.equal(got['early-a']?.[0], '1.1.0', 'a stage reached stays reached')
  })

  await t.test('a paused rollout keeps its reach', async (t) => {
    await moveRollout(app, tools, rolling, { state: 'paused' }, 'version.rollout_paused', { stage: 1 })
    const got = await answers([inside, outside])
    t.equal(got[inside]?.[0], '1.1.0')
    t.equal(got[outside]?.[0], '1.0.0')
  })

  await t.test('completed: the version is plainly released to everyone', async (t) => {
    await moveRollout(app, tools, rolling, { stage: 3, state: 'completed' }, 'version.rollout_completed', { stage: 3, automatic: false })
    const got = await answers([outside, 'payments'])
    t.same(got[outside], ['1.1.0', '1.1.0', '1.1.0', '1.1.0', '1.0.0'])
    t.same(got.payments, got[outside])
  })

  await t.test('the resolution log records what each project got, as before', async (t) => {
    await app.resolutionLog.flush()
    const rows = await app.db
      .selectFrom('resolutions')
      .select(['project', 'spec', 'version', 'status'])
      .where('imageId', '=', tools.id)
      .where('spec', '=', '1.latest')
      .execute()
    const versionsOf = (project: string) => new Set(rows.filter((r) => r.project === project).map((r) => r.version))
    t.same([...versionsOf('payments')].sort(), ['1.0.0', '1.1.0'], 'the previous release, then the new one once completed')
    t.same([...versionsOf('early-a')], ['1.1.0'])
    t.ok(rows.every((r) => r.status === 'released'))
  })
})

t.test('aborting a rollout takes everyone back to the previous release at once', async (t) => {
  const { app, call } = await build(t)
  const tools = await insertImage(app.db, 'tools', { visibilityPublic: true })
  await insertVersion(app.db, tools, '1.0.0', 'released')
  const rolling = { ...(await insertVersion(app.db, tools, '1.1.0', 'released')), number: '1.1.0' }
  await insertRollout(app.db, tools, rolling.id, PLAN, 0)
  const resolve = (spec: string, project: string) =>
    call({ method: 'GET', url: `/v1/images/tools/resolve?version=${spec}&project=${project}` })
  t.equal((await resolve('1.latest', 'early-a')).json().version, '1.1.0')

  await commitChanges(app.db, app.changes, async (trx, record) => {
    await trx.updateTable('versionRollouts').set({ state: 'aborted' }).where('versionId', '=', rolling.id).execute()
    await trx
      .updateTable('imageVersions')
      .set({ status: 'withdrawn', withdrawReason: 'rollout aborted' })
      .where('id', '=', rolling.id)
      .execute()
    await record({
      image: tools,
      action: 'version.rollout_aborted',
      actor: { name: 'test fixture', tokenId: null, projects: null },
      version: { id: rolling.id, number: '1.1.0', digest: null },
      details: { from: 'released', to: 'withdrawn', stage: 0, reason: 'rollout aborted' },
      changesResolutions: true
    })
  })
  for (const project of ['early-a', 'debug-proj', 'payments'])
    t.equal((await resolve('1.latest', project)).json().version, '1.0.0', project)
  const gone = await resolve('1.1.0', 'early-a')
  t.equal(gone.statusCode, 410)
  t.match(gone.json(), { code: 'VERSION_WITHDRAWN', servingVersion: '1.0.0', withdrawReason: 'rollout aborted' })
})

t.test('a release awaiting approval: the debug project resolves it, as a testing version; nobody else learns of it', async (t) => {
  const { app, call } = await build(t)
  const gated = await insertImage(app.db, 'gated', { visibilityPublic: true })
  await insertVersion(app.db, gated, '1.0.0', 'released')
  const pending = await insertVersion(app.db, gated, '1.1.0', 'awaiting_approval')
  const resolve = (spec: string, project: string) =>
    call({ method: 'GET', url: `/v1/images/gated/resolve?version=${spec}&project=${project}` })

  const debug = await resolve('1.latest', 'debug-proj')
  t.equal(debug.statusCode, 200)
  t.match(debug.json(), { version: '1.1.0', status: 'awaiting_approval' })
  t.match((await resolve('1.1.0', 'debug-proj')).json(), { version: '1.1.0', status: 'awaiting_approval' })
  t.match((await resolve('1.latest', 'payments')).json(), { version: '1.0.0', status: 'released' })
  const hidden = await resolve('1.1.0', 'payments')
  t.equal(hidden.statusCode, 404)
  t.match(hidden.json(), { code: 'VERSION_NOT_FOUND', newestVersion: '1.0.0' })

  // Approved: released for everyone (the transitions announce it; here the fixture does).
  await setStatus(app.db, pending.id, 'released')
  await commitChanges(app.db, app.changes, (_trx, record) =>
    record({
      image: gated,
      action: 'test.rows_written',
      actor: { name: 'test fixture', tokenId: null, projects: null },
      changesResolutions: true
    })
  )
  t.match((await resolve('1.latest', 'payments')).json(), { version: '1.1.0', status: 'released' })
})
