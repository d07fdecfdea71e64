import t from 'tap'
import { build } from '../helpers/app.js'
import { action, getVersion, push, registryEnv, startTestRegistry, waitForCheck } from './fixtures.js'
import { approvalRows, checkDetails, createImageWithRules, decide, eventsOf, release, testingVersion } from './approvals-fixtures.js'

const APPROVERS = ['web-ci', 'platform-approvers']
const DECISION_EVENTS = ['version.release_requested', 'version.approved', 'version.rejected', 'version.released']

t.test('approvals', async (t) => {
  const registry = await startTestRegistry(t)
  for (const tag of ['v1', 'v2', 'v3']) await push(registry, 'team/appr', tag)
  const app = await build(t, { env: registryEnv(registry) })
  const at = (tag: string) => ({ registry: registry.host, repository: 'team/appr', tag })
  // The publishers are approvers too, so only the rule on their own release keeps them out.
  const publisher = await app.token({ name: 'publisher', scopes: ['images:write', 'images:approve'], projects: ['payments-ci', 'web-ci'] })
  const releaser = await app.token({
    name: 'releaser',
    scopes: ['images:write', 'images:approve'],
    projects: ['payments-ci', 'platform-approvers']
  })
  const approverA = await app.token({ name: 'approver-a', scopes: ['images:approve'], projects: ['web-ci'] })
  const approverB = await app.token({ name: 'approver-b', scopes: ['images:approve'], projects: ['platform-approvers'] })
  const twoOfTwo = { required: 2, approverProjects: APPROVERS }

  t.test('2 of 2: release waits, each approver approves once, the second releases', async (t) => {
    const code = 'appr-flow'
    await createImageWithRules(app, { code, approval: twoOfTwo })
    const v = await testingVersion(t, app, code, at('v1'), publisher)
    t.same(v.approval, { required: 2, approverProjects: APPROVERS, approvals: [] }, 'the view shows the policy')
    t.equal(v.releaseRequest, null)

    const asked = await release(app, code, '1.0.0', undefined, releaser)
    t.equal(asked.statusCode, 202, asked.body)
    t.match(asked.json(), {
      status: 'awaiting_approval',
      allowedActions: ['recheck', 'cancel'],
      releaseRequest: { by: 'releaser', rollout: null },
      releasedBy: null,
      releasedAt: null
    })
    const again = await release(app, code, '1.0.0', undefined, releaser)
    t.equal(again.statusCode, 409)
    t.match(again.json(), { code: 'VERSION_STATUS_CONFLICT', currentStatus: 'awaiting_approval', allowedActions: ['recheck', 'cancel'] })

    const bySubmitter = await decide(app, code, '1.0.0', 'approve', undefined, publisher)
    t.equal(bySubmitter.statusCode, 403)
    t.match(bySubmitter.json(), { code: 'APPROVER_NOT_ALLOWED', approverProjects: APPROVERS, reason: /submitted this version/ })
    const byRequester = await decide(app, code, '1.0.0', 'approve', {}, releaser)
    t.equal(byRequester.statusCode, 403)
    t.match(byRequester.json(), { code: 'APPROVER_NOT_ALLOWED', reason: /asked for this release/ })
    const rejectByRequester = await decide(app, code, '1.0.0', 'reject', { reason: 'changed my mind' }, releaser)
    t.equal(rejectByRequester.statusCode, 403, 'nor may they reject it')

    const first = await decide(app, code, '1.0.0', 'approve', { comment: 'green in web-ci' }, approverA)
    t.equal(first.statusCode, 200, first.body)
    t.match(first.json(), { status: 'awaiting_approval', releasedBy: null })
    t.match(first.json().approval, {
      required: 2,
      approvals: [{ tokenName: 'approver-a', projects: ['web-ci'], comment: 'green in web-ci' }]
    })
    t.equal(first.json().approval.approvals.length, 1)

    const twice = await decide(app, code, '1.0.0', 'approve', undefined, approverA)
    t.equal(twice.statusCode, 409)
    t.match(twice.json(), { code: 'ALREADY_APPROVED', approvedAt: first.json().approval.approvals[0].approvedAt })
    t.equal((await approvalRows(app, code)).length, 1, 'the refused second approval added nothing')

    const listed = await app.call({ method: 'GET', url: `/v1/images/${code}/versions` })
    t.same(
      listed.json().items[0].approval.approvals.map((a: { tokenName: string }) => a.tokenName),
      ['approver-a'],
      'the list shows the approvals too'
    )

    const second = await decide(app, code, '1.0.0', 'approve', undefined, approverB)
    t.equal(second.statusCode, 200, second.body)
    t.match(second.json(), {
      status: 'released',
      releasedBy: 'approver-b',
      allowedActions: ['withdraw'],
      releaseRequest: { by: 'releaser' }
    })
    t.same(second.json().approval.approvals, [], 'approvals are shown while awaited; the events keep them')
    const row = await app.app.db
      .selectFrom('imageVersions')
      .innerJoin('apiTokens', 'apiTokens.id', 'imageVersions.releasedByTokenId')
      .select(['apiTokens.name', 'imageVersions.releaseRequestedByTokenId', 'imageVersions.submittedByTokenId'])
      .executeTakeFirstOrThrow()
    t.equal(row.name, 'approver-b', 'released_by_token_id is the last approver')
    t.not(row.releaseRequestedByTokenId, row.submittedByTokenId, 'two tokens recorded by id')
    t.same(
      (await approvalRows(app, code)).map((r) => [r.tokenName, r.projects, r.comment]),
      [
        ['approver-a', ['web-ci'], 'green in web-ci'],
        ['approver-b', ['platform-approvers'], null]
      ]
    )
    const late = await decide(app, code, '1.0.0', 'approve', undefined, approverA)
    t.equal(late.statusCode, 409)
    t.match(late.json(), { code: 'VERSION_STATUS_CONFLICT', currentStatus: 'released' })

    const events = await eventsOf(app, code, ...DECISION_EVENTS)
    t.same(
      events.map((e) => [e.action, e.actor]),
      [
        ['version.release_requested', 'releaser'],
        ['version.approved', 'approver-a'],
        ['version.approved', 'approver-b'],
        ['version.released', 'approver-b']
      ]
    )
    t.same(events[0]?.details, { from: 'testing', to: 'awaiting_approval', required: 2, approverProjects: APPROVERS, rollout: null })
    t.same(events[1]?.details, { projects: ['web-ci'], approvals: 1, required: 2, comment: 'green in web-ci' })
    t.same(events[2]?.details, { projects: ['platform-approvers'], approvals: 2, required: 2 })
    t.same(events[3]?.details, { from: 'awaiting_approval', to: 'released' })
    t.same(events[3]?.version, events[0]?.version)
    checkDetails(t, events)
  })

  t.test('who may decide: scope, visibility, approver project; bad bodies change nothing', async (t) => {
    const code = 'appr-who'
    await createImageWithRules(app, { code, approval: { required: 1, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at('v1'), publisher)
    t.equal((await release(app, code, '1.0.0', undefined, releaser)).statusCode, 202)

    const noScope = await app.token({ name: 'reader', scopes: ['images:read'], projects: ['web-ci'] })
    const unseen = await app.token({ name: 'elsewhere', scopes: ['images:approve'], projects: ['other-ci'] })
    const debugger_ = await app.token({ name: 'sandbox-approver', scopes: ['images:approve'], projects: ['payments-sandbox'] })
    const refusals: [string, unknown, string | null, number, string][] = [
      ['approve', undefined, noScope, 403, 'INSUFFICIENT_SCOPE'],
      ['reject', { reason: 'no' }, noScope, 403, 'INSUFFICIENT_SCOPE'],
      ['approve', undefined, unseen, 404, 'IMAGE_NOT_FOUND'],
      ['approve', undefined, debugger_, 403, 'APPROVER_NOT_ALLOWED'],
      ['reject', { reason: 'no' }, debugger_, 403, 'APPROVER_NOT_ALLOWED'],
      ['approve', undefined, null, 401, 'AUTHENTICATION_REQUIRED'],
      ['reject', undefined, approverA, 400, 'VALIDATION_FAILED'],
      ['reject', {}, approverA, 400, 'VALIDATION_FAILED'],
      ['reject', { reason: '' }, approverA, 400, 'VALIDATION_FAILED'],
      ['reject', { reason: 'x'.repeat(1001) }, approverA, 400, 'VALIDATION_FAILED'],
      ['approve', { comment: 'x'.repeat(1001) }, approverA, 400, 'VALIDATION_FAILED'],
      ['approve', { comment: 'ok', extra: true }, approverA, 400, 'VALIDATION_FAILED'],
      ['approve', { comment: 42 }, approverA, 400, 'VALIDATION_FAILED']
    ]
    for (const [decision, payload, token, status, problem] of refusals) {
      const res = await app.call({
        method: 'POST',
        url: `/v1/images/${code}/versions/1.0.0/${decision}`,
        ...(payload !== undefined ? { payload } : {}),
        token
      })
      t.equal(res.statusCode, status, `${decision} ${JSON.stringify(payload)} → ${status}`)
      t.equal(res.json().code, problem)
      t.match(res.headers['content-type'], /application\/problem\+json/)
    }
    const notAllowed = await decide(app, code, '1.0.0', 'approve', undefined, debugger_)
    t.match(notAllowed.json(), {
      approverProjects: ['web-ci'],
      reason: /payments-sandbox, none of the image's approver projects \(web-ci\)/
    })
    t.equal((await decide(app, code, '9.9.9', 'approve', undefined, approverA)).json().code, 'VERSION_NOT_FOUND')
    t.equal((await decide(app, code, '1.0', 'approve', undefined, approverA)).statusCode, 400)
    t.equal((await decide(app, 'no-such-image', '1.0.0', 'approve', undefined, approverA)).statusCode, 404)

    const v = await getVersion(app, code, '1.0.0')
    t.equal(v.status, 'awaiting_approval', 'nothing changed')
    t.same(v.approval?.approvals, [])
    t.same(await approvalRows(app, code), [])
    t.same(
      (await eventsOf(app, code, ...DECISION_EVENTS)).map((e) => e.action),
      ['version.release_requested'],
      'no event for a refusal'
    )
    const ok = await decide(app, code, '1.0.0', 'approve', undefined, approverA)
    t.equal(ok.statusCode, 200)
    t.equal(ok.json().status, 'released', '1 of 1 releases at once')
  })

  t.test('admin tokens are identities too: the admin that asked may not approve; another admin may', async (t) => {
    const code = 'appr-admin'
    await createImageWithRules(app, { code, approval: { required: 1, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at('v1'))
    t.equal((await release(app, code, '1.0.0')).statusCode, 202)
    const own = await decide(app, code, '1.0.0', 'approve')
    t.equal(own.statusCode, 403)
    t.match(own.json(), { code: 'APPROVER_NOT_ALLOWED', reason: /token "admin" submitted this version/ })
    const otherAdmin = await app.token({ name: 'admin-2', scopes: ['admin'] })
    const ok = await decide(app, code, '1.0.0', 'approve', undefined, otherAdmin)
    t.equal(ok.statusCode, 200)
    t.match(ok.json(), { status: 'released', releasedBy: 'admin-2' })
    const [approved] = await eventsOf(app, code, 'version.approved')
    t.same(approved?.details.projects, ['web-ci'], 'an admin approves for every approver project')
  })

  t.test('not awaiting approval: 409 with the status; reject needs a pending release too', async (t) => {
    const code = 'appr-status'
    await createImageWithRules(app, { code, approval: { required: 1, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at('v1'), publisher)
    for (const decision of ['approve', 'reject'] as const) {
      const res = await decide(app, code, '1.0.0', decision, decision === 'reject' ? { reason: 'no' } : undefined, approverA)
      t.equal(res.statusCode, 409)
      t.match(res.json(), { code: 'VERSION_STATUS_CONFLICT', currentStatus: 'testing', allowedActions: ['recheck', 'release', 'cancel'] })
      t.match(res.json().detail, new RegExp(`"${decision}" needs it to be awaiting_approval`))
    }
  })

  t.test('reject: back to testing with the reason, approvals dropped, soak not restarted; a new request starts afresh', async (t) => {
    const code = 'appr-reject'
    await createImageWithRules(app, { code, approval: twoOfTwo })
    const tested = await testingVersion(t, app, code, at('v1'), publisher)
    t.equal((await release(app, code, '1.0.0', undefined, releaser)).statusCode, 202)
    t.equal((await decide(app, code, '1.0.0', 'approve', undefined, approverA)).statusCode, 200)
    const res = await decide(app, code, '1.0.0', 'reject', { reason: 'breaks the web-ci lockfile' }, approverB)
    t.equal(res.statusCode, 200, res.body)
    t.match(res.json(), {
      status: 'testing',
      statusReason: 'breaks the web-ci lockfile',
      allowedActions: ['recheck', 'release', 'cancel'],
      releaseRequest: null,
      testingSince: tested.testingSince
    })
    t.same(res.json().approval, { required: 2, approverProjects: APPROVERS, approvals: [] })
    t.same(await approvalRows(app, code), [], 'approvals deleted')
    const [rejected] = await eventsOf(app, code, 'version.rejected')
    t.same(rejected?.details, { from: 'awaiting_approval', to: 'testing', reason: 'breaks the web-ci lockfile' })
    t.equal(rejected?.actor, 'approver-b')
    checkDetails(t, await eventsOf(app, code, ...DECISION_EVENTS))

    t.equal((await release(app, code, '1.0.0', undefined, publisher)).statusCode, 202, 'asked again (by the submitter this time)')
    const pending = await getVersion(app, code, '1.0.0')
    t.match(pending, { statusReason: null, releaseRequest: { by: 'publisher' } })
    t.equal((await decide(app, code, '1.0.0', 'approve', undefined, releaser)).statusCode, 200, 'the earlier requester may approve now')
    t.equal((await decide(app, code, '1.0.0', 'approve', undefined, approverA)).json().status, 'released', 'approver-a approves afresh')
  })

  t.test('cancel and recheck from awaiting_approval drop the approvals', async (t) => {
    const code = 'appr-cancel'
    await createImageWithRules(app, { code, approval: twoOfTwo })
    const tested = await testingVersion(t, app, code, at('v1'), publisher)
    t.equal((await release(app, code, '1.0.0', undefined, releaser)).statusCode, 202)
    t.equal((await decide(app, code, '1.0.0', 'approve', undefined, approverA)).statusCode, 200)
    const rechecked = await action(app, code, '1.0.0', 'recheck', undefined, publisher)
    t.equal(rechecked.statusCode, 202, rechecked.body)
    t.match(rechecked.json(), { status: 'checking', releaseRequest: null, testingSince: null })
    t.same(await approvalRows(app, code), [])
    const again = await waitForCheck(app, code, '1.0.0')
    t.equal(again.status, 'testing')
    t.ok(Date.parse(again.testingSince ?? '') > Date.parse(tested.testingSince ?? ''), 'the soak starts again')

    t.equal((await release(app, code, '1.0.0', undefined, releaser)).statusCode, 202)
    t.equal((await decide(app, code, '1.0.0', 'approve', undefined, approverA)).statusCode, 200)
    const cancelled = await action(app, code, '1.0.0', 'cancel', { reason: 'superseded' }, publisher)
    t.equal(cancelled.statusCode, 200)
    t.match(cancelled.json(), { status: 'cancelled', approval: { approvals: [] } })
    t.same(await approvalRows(app, code), [])
    const events = await eventsOf(app, code, 'version.recheck_requested', 'version.cancelled')
    t.same(
      events.map((e) => [e.details.from, e.details.to]),
      [
        ['awaiting_approval', 'checking'],
        ['awaiting_approval', 'cancelled']
      ]
    )
  })

  t.test('a policy edit while a release waits applies at the next approval', async (t) => {
    const code = 'appr-edit'
    await createImageWithRules(app, { code, approval: twoOfTwo })
    await testingVersion(t, app, code, at('v1'), publisher)
    t.equal((await release(app, code, '1.0.0', undefined, releaser)).statusCode, 202)
    const patch = await app.call({
      method: 'PATCH',
      url: `/v1/images/${code}`,
      payload: { approval: { required: 1, approverProjects: APPROVERS } }
    })
    t.equal(patch.statusCode, 200, patch.body)
    t.match((await getVersion(app, code, '1.0.0')).approval, { required: 1 })
    const res = await decide(app, code, '1.0.0', 'approve', undefined, approverA)
    t.equal(res.json().status, 'released', 'one approval is now enough')
    const [approved] = await eventsOf(app, code, 'version.approved')
    t.match(approved?.details, { approvals: 1, required: 1 })
  })

  t.test('a policy removed while a release waits: another token of the owner project ends the wait', async (t) => {
    const code = 'appr-drop'
    await createImageWithRules(app, { code, approval: twoOfTwo })
    await testingVersion(t, app, code, at('v2'), publisher)
    t.equal((await release(app, code, '1.0.0', undefined, releaser)).statusCode, 202)
    t.equal((await app.call({ method: 'PATCH', url: `/v1/images/${code}`, payload: { approval: null } })).statusCode, 200)
    t.same((await getVersion(app, code, '1.0.0')).approval, { required: 1, approverProjects: ['payments-ci'], approvals: [] })
    t.equal((await decide(app, code, '1.0.0', 'approve', undefined, approverA)).json().code, 'APPROVER_NOT_ALLOWED')
    const owner = await app.token({ name: 'owner-approver', scopes: ['images:approve', 'images:read'], projects: ['payments-ci'] })
    const res = await decide(app, code, '1.0.0', 'approve', undefined, owner)
    t.equal(res.statusCode, 200, res.body)
    t.match(res.json(), { status: 'released', approval: null })
  })

  t.test('an image without approvals releases at once, and records who asked', async (t) => {
    const code = 'appr-none'
    await createImageWithRules(app, { code })
    const v = await testingVersion(t, app, code, at('v3'), publisher)
    t.equal(v.approval, null)
    const res = await release(app, code, '1.0.0', undefined, releaser)
    t.equal(res.statusCode, 200)
    t.match(res.json(), { status: 'released', releasedBy: 'releaser', approval: null, releaseRequest: { by: 'releaser', rollout: null } })
    t.equal(res.json().releaseRequest.at, res.json().releasedAt)
  })

  t.test('the debug project resolves a version awaiting approval; other projects do not', async (t) => {
    const code = 'appr-debug'
    await createImageWithRules(app, { code, approval: { required: 1, approverProjects: ['web-ci'] } })
    await testingVersion(t, app, code, at('v1'), publisher)
    t.equal((await release(app, code, '1.0.0', undefined, releaser)).statusCode, 202)
    const engine = await app.token({ name: 'engine', scopes: ['resolve'], projects: ['payments-sandbox', 'web-ci'] })
    const resolve = (project: string) =>
      app.call({ method: 'GET', url: `/v1/images/${code}/resolve?version=1.latest&project=${project}`, token: engine })
    const debug = await resolve('payments-sandbox')
    t.equal(debug.statusCode, 200, debug.body)
    t.match(debug.json(), { version: '1.0.0', status: 'awaiting_approval' })
    t.equal((await resolve('web-ci')).statusCode, 404, 'not released: nothing for other projects')
  })
})
