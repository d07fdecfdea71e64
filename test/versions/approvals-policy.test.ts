import t from 'tap'
import type { Principal } from '../../src/auth/scopes.js'
import { approvalsSuffice, approverProjectsOf, ownReleaseRefusal, pendingPolicy } from '../../src/versions/approval-rules.js'
import { build } from '../helpers/app.js'

const principal = (fields: Partial<Principal>): Principal => ({
  tokenId: 't-1',
  name: 'tok',
  scopes: ['images:approve'],
  projects: ['web-ci'],
  expiresAt: null,
  ...fields
})

t.test('approval rules (pure)', async (t) => {
  const policy = { required: 2, approverProjects: ['web-ci', 'platform-approvers'] }
  t.same(approverProjectsOf(principal({}), policy), ['web-ci'])
  t.same(approverProjectsOf(principal({ projects: ['other'] }), policy), [])
  t.same(approverProjectsOf(principal({ projects: null }), policy), ['web-ci', 'platform-approvers'], 'a token for every project')
  t.same(approverProjectsOf(principal({ scopes: ['admin'], projects: [] }), policy), ['web-ci', 'platform-approvers'], 'admin')
  t.match(ownReleaseRefusal(principal({}), { submittedByTokenId: 't-1', releaseRequestedByTokenId: 't-2' }), /submitted/)
  t.match(ownReleaseRefusal(principal({}), { submittedByTokenId: null, releaseRequestedByTokenId: 't-1' }), /asked for this release/)
  t.match(
    ownReleaseRefusal(principal({ scopes: ['admin'] }), { submittedByTokenId: 't-1', releaseRequestedByTokenId: null }),
    /submitted/,
    'admin too'
  )
  t.equal(ownReleaseRefusal(principal({}), { submittedByTokenId: 't-2', releaseRequestedByTokenId: 't-3' }), null)
  t.equal(approvalsSuffice(1, policy), false)
  t.equal(approvalsSuffice(2, policy), true)
  t.equal(approvalsSuffice(3, policy), true, 'a policy lowered while approvals were counted')
  t.same(pendingPolicy({ ownerProject: 'o', approval: policy }), policy)
  t.same(pendingPolicy({ ownerProject: 'o', approval: null }), { required: 1, approverProjects: ['o'] })
})

t.test('the approval policy on the image: validated, shown, changed and cleared', async (t) => {
  const app = await build(t)
  const create = (code: string, approval: unknown) =>
    app.call({ method: 'POST', url: '/v1/images', payload: { code, name: 'x', ownerProject: 'payments-ci', approval } })
  const twenty = Array.from({ length: 20 }, (_, i) => `proj-${i}`)
  const bad: unknown[] = [
    {},
    { required: 0, approverProjects: ['web-ci'] },
    { required: 6, approverProjects: ['web-ci'] },
    { required: 1.5, approverProjects: ['web-ci'] },
    { required: '1', approverProjects: ['web-ci'] },
    { required: 1 },
    { required: 1, approverProjects: [] },
    { required: 1, approverProjects: ['web-ci', 'web-ci'] },
    { required: 1, approverProjects: ['Web CI'] },
    { required: 1, approverProjects: [...twenty, 'one-more'] },
    { required: 1, approverProjects: ['web-ci'], extra: true },
    'web-ci'
  ]
  for (const approval of bad)
    t.equal((await create('appr-bad', approval)).statusCode, 400, `approval ${JSON.stringify(approval)} is refused`)
  t.equal((await app.call({ method: 'GET', url: '/v1/images/appr-bad' })).statusCode, 404, 'nothing was created')

  const created = await create('appr-policy', { required: 5, approverProjects: twenty })
  t.equal(created.statusCode, 201, created.body)
  t.same(created.json().approval, { required: 5, approverProjects: twenty })
  t.equal((await create('appr-null', null)).json().approval, null)

  const patch = (payload: unknown) => app.call({ method: 'PATCH', url: '/v1/images/appr-policy', payload })
  t.equal((await patch({ approval: { required: 0, approverProjects: ['a1'] } })).statusCode, 400)
  const same = await patch({ approval: { required: 5, approverProjects: twenty } })
  t.equal(same.json().revision, created.json().revision, 'the same policy is no change')
  const changed = await patch({ approval: { required: 1, approverProjects: ['web-ci'] } })
  t.same(changed.json().approval, { required: 1, approverProjects: ['web-ci'] })
  t.same((await app.call({ method: 'GET', url: '/v1/images/appr-policy' })).json().approval, { required: 1, approverProjects: ['web-ci'] })
  t.equal((await patch({ approval: null })).json().approval, null)
  const updates = await app.app.db.selectFrom('imageEvents').select('details').where('action', '=', 'image.updated').orderBy('id').execute()
  t.same(
    updates.map((u) => u.details.changes),
    [
      { approval: { from: { required: 5, approverProjects: twenty }, to: { required: 1, approverProjects: ['web-ci'] } } },
      { approval: { from: { required: 1, approverProjects: ['web-ci'] }, to: null } }
    ]
  )
})
