import t from 'tap'
import { build } from '../helpers/app.js'
import { getVersion, push, registryEnv, startTestRegistry } from './fixtures.js'
import { approvalRows, checkDetails, createImageWithRules, decide, eventsOf, release, testingVersion } from './approvals-fixtures.js'

// Decisions on one pending release serialize on the version's row lock: whatever the interleaving,
// one release, every approval that got a 200 recorded, and a 409 for the loser of a conflict.
t.test('concurrent decisions', async (t) => {
  const registry = await startTestRegistry(t)
  await push(registry, 'team/race', 'v1')
  const app = await build(t, { env: registryEnv(registry) })
  const at = { registry: registry.host, repository: 'team/race', tag: 'v1' }
  const approvers = await Promise.all(
    ['a', 'b', 'c'].map((n) => app.token({ name: `approver-${n}`, scopes: ['images:approve'], projects: ['web-ci'] }))
  )
  const [a, b, c] = approvers as [string, string, string]

  const pending = async (code: string, required: number) => {
    await createImageWithRules(app, { code, approval: { required, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at)
    t.equal((await release(app, code, '1.0.0')).statusCode, 202)
  }

  t.test('the last two approvals at once (2 of 2): both recorded, one release, one version.released', async (t) => {
    for (let round = 0; round < 5; round++) {
      const code = `race-two-${round}`
      await pending(code, 2)
      const answers = await Promise.all([
        decide(app, code, '1.0.0', 'approve', undefined, a),
        decide(app, code, '1.0.0', 'approve', undefined, b)
      ])
      t.same(
        answers.map((r) => r.statusCode),
        [200, 200],
        'both approvals succeed'
      )
      t.same(answers.map((r) => r.json().status).sort(), ['awaiting_approval', 'released'], 'exactly one of them released')
      t.equal((await approvalRows(app, code)).length, 2, 'both approvals recorded')
      const events = await eventsOf(app, code, 'version.approved', 'version.released')
      t.same(
        events.map((e) => e.action),
        ['version.approved', 'version.approved', 'version.released'],
        'one version.released, after both approvals'
      )
      t.same(
        events.map((e) => e.details.approvals ?? null),
        [1, 2, null],
        'the counts follow the commit order'
      )
      t.equal(events[2]?.actor, events[1]?.actor, 'released by the token whose approval completed it')
      checkDetails(t, events)
      t.equal((await getVersion(app, code, '1.0.0')).status, 'released')
    }
  })

  t.test('three approvals at once for 2 of 2: two count, one release, the third finds it released', async (t) => {
    const code = 'race-three'
    await pending(code, 2)
    const answers = await Promise.all([a, b, c].map((token) => decide(app, code, '1.0.0', 'approve', undefined, token)))
    t.same(answers.map((r) => r.statusCode).sort(), [200, 200, 409])
    t.match(answers.find((r) => r.statusCode === 409)?.json(), { code: 'VERSION_STATUS_CONFLICT', currentStatus: 'released' })
    t.equal((await approvalRows(app, code)).length, 2)
    t.equal((await eventsOf(app, code, 'version.released')).length, 1)
  })

  t.test('one token approving twice at once: one approval, one ALREADY_APPROVED', async (t) => {
    const code = 'race-same'
    await pending(code, 2)
    const answers = await Promise.all([
      decide(app, code, '1.0.0', 'approve', undefined, a),
      decide(app, code, '1.0.0', 'approve', undefined, a)
    ])
    t.same(answers.map((r) => r.statusCode).sort(), [200, 409])
    t.equal(answers.find((r) => r.statusCode === 409)?.json().code, 'ALREADY_APPROVED')
    t.equal((await approvalRows(app, code)).length, 1)
  })

  t.test('approve racing reject: one wins, the other is 409, the events tell the winner', async (t) => {
    for (let round = 0; round < 5; round++) {
      const code = `race-reject-${round}`
      await pending(code, 1)
      const [approve, reject] = await Promise.all([
        decide(app, code, '1.0.0', 'approve', undefined, a),
        decide(app, code, '1.0.0', 'reject', { reason: 'not yet' }, b)
      ])
      t.same([approve.statusCode, reject.statusCode].sort(), [200, 409], 'one wins')
      const status = (await getVersion(app, code, '1.0.0')).status
      const events = (await eventsOf(app, code, 'version.approved', 'version.released', 'version.rejected')).map((e) => e.action)
      if (approve.statusCode === 200) {
        t.equal(status, 'released')
        t.same(events, ['version.approved', 'version.released'])
        t.match(reject.json(), { code: 'VERSION_STATUS_CONFLICT', currentStatus: 'released' })
      } else {
        t.equal(status, 'testing')
        t.same(events, ['version.rejected'])
        t.match(approve.json(), { code: 'VERSION_STATUS_CONFLICT', currentStatus: 'testing' })
        t.same(await approvalRows(app, code), [])
      }
    }
  })
})
