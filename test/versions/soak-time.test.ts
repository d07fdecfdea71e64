import t from 'tap'
import { releasableAt, soakNotMet } from '../../src/versions/soak-time.js'
import { build } from '../helpers/app.js'
import { getVersion, push, registryEnv, startTestRegistry } from './fixtures.js'
import { checkDetails, createImageWithRules, decide, eventsOf, release, testingVersion } from './approvals-fixtures.js'

t.test('releasableAt and soakNotMet (pure)', async (t) => {
  const since = new Date('2026-12-01T10:00:00.000Z')
  t.equal(releasableAt(since, null), null, 'no rule')
  t.equal(releasableAt(null, '24h'), null, 'start unknown')
  t.equal(releasableAt(since, '90s')?.toISOString(), '2026-12-01T10:01:30.000Z')
  t.equal(releasableAt(since, '30m')?.toISOString(), '2026-12-01T10:30:00.000Z')
  t.equal(releasableAt(since, '2d')?.toISOString(), '2026-12-03T10:00:00.000Z')
  t.equal(soakNotMet(new Date('2026-12-01T10:59:59.999Z'), since, '1h')?.toISOString(), '2026-12-01T11:00:00.000Z', 'a millisecond early')
  t.equal(soakNotMet(new Date('2026-12-01T11:00:00.000Z'), since, '1h'), null, 'exactly on time')
  t.equal(soakNotMet(new Date('2026-12-01T10:00:00.000Z'), since, null), null)
})

t.test('soak time', async (t) => {
  const registry = await startTestRegistry(t)
  for (const tag of ['v1', 'v2', 'v3']) await push(registry, 'team/soak', tag)
  const app = await build(t, { env: registryEnv(registry) })
  const at = (tag: string) => ({ registry: registry.host, repository: 'team/soak', tag })
  const testingSinceAgo = async (code: string, ms: number) => {
    await app.app.db
      .updateTable('imageVersions')
      .set({ testingSince: new Date(Date.now() - ms) })
      .where('imageId', '=', (eb) => eb.selectFrom('images').select('id').where('code', '=', code))
      .execute()
  }

  t.test('an early release is 409 SOAK_TIME_NOT_MET naming when; once served, it releases', async (t) => {
    const code = 'soak-hour'
    await createImageWithRules(app, { code, minTestingTime: '1h' })
    const v = await testingVersion(t, app, code, at('v1'))
    t.type(v.testingSince, 'string', 'testingSince is set when the check passes')
    t.equal(v.releasableAt, new Date(Date.parse(v.testingSince ?? '') + 3_600_000).toISOString(), 'the view names when')

    const early = await release(app, code, '1.0.0')
    t.equal(early.statusCode, 409)
    t.match(early.headers['content-type'], /application\/problem\+json/)
    t.match(early.json(), {
      code: 'SOAK_TIME_NOT_MET',
      version: '1.0.0',
      minTestingTime: '1h',
      testingSince: v.testingSince,
      releasableAt: v.releasableAt
    })
    t.match(early.json().detail, /must test for 1h before release, so it can be released from /)
    const withPlan = await release(app, code, '1.0.0', { rollout: { stages: [{ percent: 10 }] } })
    t.equal(withPlan.json().code, 'SOAK_TIME_NOT_MET', 'with a plan too')
    const unchanged = await getVersion(app, code, '1.0.0')
    t.equal(unchanged.status, 'testing', 'nothing changed')
    t.equal(unchanged.releaseRequest, null)
    t.same(await eventsOf(app, code, 'version.released', 'version.release_requested', 'version.rollout_started'), [])

    await testingSinceAgo(code, 3_600_000 + 1000)
    const ok = await release(app, code, '1.0.0')
    t.equal(ok.statusCode, 200, ok.body)
    t.match(ok.json(), { status: 'released', releasableAt: null, testingSince: v.testingSince === null ? null : String })
  })

  t.test('a tiny soak served by waiting', async (t) => {
    const code = 'soak-second'
    await createImageWithRules(app, { code, minTestingTime: '1s' })
    const v = await testingVersion(t, app, code, at('v2'))
    const wait = Date.parse(v.releasableAt ?? '') - Date.now()
    if (wait > 0) {
      t.equal((await release(app, code, '1.0.0')).json().code, 'SOAK_TIME_NOT_MET')
      await new Promise((resolve) => setTimeout(resolve, wait + 50))
    }
    t.equal((await release(app, code, '1.0.0')).statusCode, 200, 'released once the second passed')
  })

  t.test('soak first, then approvals; a rejection does not restart the soak', async (t) => {
    const code = 'soak-approve'
    await createImageWithRules(app, { code, minTestingTime: '1h', approval: { required: 1, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at('v3'))
    t.equal((await release(app, code, '1.0.0')).json().code, 'SOAK_TIME_NOT_MET', 'no approval is asked before the soak')
    await testingSinceAgo(code, 2 * 3_600_000)
    t.equal((await release(app, code, '1.0.0')).statusCode, 202)
    t.equal((await getVersion(app, code, '1.0.0')).releasableAt, null, 'not testing: no releasableAt')
    const approver = await app.token({ name: 'approver', scopes: ['images:approve'], projects: ['web-ci'] })
    t.equal((await decide(app, code, '1.0.0', 'reject', { reason: 'wait for 1.0.1 of the base' }, approver)).statusCode, 200)
    const again = await release(app, code, '1.0.0')
    t.equal(again.statusCode, 202, 'the soak served before the rejection still counts')
    checkDetails(t, await eventsOf(app, code, 'version.release_requested', 'version.rejected'))
  })

  t.test('minTestingTime on the image: validated, shown, changed and cleared', async (t) => {
    for (const bad of ['0s', '1w', '10', '1.5h', '01h', '-1h', '1 h', '', '123456789d', 5]) {
      const res = await app.call({
        method: 'POST',
        url: '/v1/images',
        payload: { code: 'soak-bad', name: 'x', ownerProject: 'payments-ci', minTestingTime: bad }
      })
      t.equal(res.statusCode, 400, `minTestingTime ${JSON.stringify(bad)} is refused`)
    }
    t.equal((await app.call({ method: 'GET', url: '/v1/images/soak-bad' })).statusCode, 404, 'nothing was created')
    const created = await app.call({
      method: 'POST',
      url: '/v1/images',
      payload: { code: 'soak-image', name: 'x', ownerProject: 'payments-ci', minTestingTime: '90s' }
    })
    t.equal(created.statusCode, 201, created.body)
    t.match(created.json(), { minTestingTime: '90s', approval: null })
    const patch = (payload: unknown) => app.call({ method: 'PATCH', url: '/v1/images/soak-image', payload })
    t.equal((await patch({ minTestingTime: '0m' })).statusCode, 400)
    t.equal((await patch({ minTestingTime: '2d' })).json().minTestingTime, '2d')
    t.equal((await patch({ minTestingTime: null })).json().minTestingTime, null)
    const updates = await app.app.db
      .selectFrom('imageEvents')
      .select('details')
      .where('action', '=', 'image.updated')
      .where('imageId', '=', (eb) => eb.selectFrom('images').select('images.id').where('images.code', '=', 'soak-image'))
      .orderBy('id')
      .execute()
    t.same(
      updates.map((u) => u.details.changes),
      [{ minTestingTime: { from: '90s', to: '2d' } }, { minTestingTime: { from: '2d', to: null } }]
    )
    const [associated] = await app.app.db
      .selectFrom('imageEvents')
      .select('details')
      .where('action', '=', 'image.associated')
      .where('imageId', '=', (eb) => eb.selectFrom('images').select('images.id').where('images.code', '=', 'soak-image'))
      .execute()
    t.match(associated?.details, { minTestingTime: '90s', approval: null })
  })
})
