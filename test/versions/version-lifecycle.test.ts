import t from 'tap'
import {
  allowedActions,
  APPROVER_TRANSITIONS,
  canApply,
  changesResolutions,
  isInProgress,
  TRANSITIONS,
  VERSION_STATUSES
} from '../../src/versions/version-lifecycle.js'

t.test('publisher actions allowed from each status', async (t) => {
  t.same(Object.fromEntries(VERSION_STATUSES.map((s) => [s, allowedActions(s)])), {
    checking: ['cancel'],
    check_failed: ['recheck', 'cancel'],
    testing: ['recheck', 'release', 'cancel'],
    awaiting_approval: ['recheck', 'cancel'],
    released: ['withdraw'],
    cancelled: [],
    withdrawn: []
  })
})

t.test('transitions lead where the lifecycle says', async (t) => {
  t.same(Object.fromEntries(Object.entries(TRANSITIONS).map(([action, tr]) => [action, `${tr.from.join('|')} -> ${tr.to}`])), {
    pass_check: 'checking -> testing',
    fail_check: 'checking -> check_failed',
    recheck: 'check_failed|testing|awaiting_approval -> checking',
    release: 'testing -> released',
    cancel: 'checking|check_failed|testing|awaiting_approval -> cancelled',
    withdraw: 'released -> withdrawn',
    abort_rollout: 'released -> withdrawn',
    request_release: 'testing -> awaiting_approval',
    approve_release: 'awaiting_approval -> released',
    reject_release: 'awaiting_approval -> testing'
  })
  t.same(APPROVER_TRANSITIONS, { approve: 'approve_release', reject: 'reject_release' }, "an approver's decisions")
})

t.test('only the check leaves checking for testing or check_failed', async (t) => {
  t.ok(canApply('checking', 'pass_check'))
  t.ok(canApply('checking', 'fail_check'))
  t.notOk(canApply('cancelled', 'pass_check'), 'a late result for a cancelled version does not apply')
  t.notOk(canApply('testing', 'pass_check'))
  t.notOk(canApply('checking', 'release'), 'no release before the check passed')
  t.notOk(canApply('released', 'cancel'))
  t.notOk(canApply('withdrawn', 'release'), 'withdrawn is final')
})

t.test('in progress means checking, check_failed, testing or awaiting_approval', async (t) => {
  t.same(VERSION_STATUSES.filter(isInProgress), ['checking', 'check_failed', 'testing', 'awaiting_approval'])
})

t.test('changesResolutions: only moves into or out of what resolve can meet drop the resolve caches', async (t) => {
  t.equal(changesResolutions(undefined, 'checking'), false, 'a submission')
  t.equal(changesResolutions('checking', 'check_failed'), false, 'a failed check')
  t.equal(changesResolutions('check_failed', 'checking'), false, 'a recheck after a failure')
  t.equal(changesResolutions('checking', 'cancelled'), false, 'cancelling a version being checked')
  t.equal(changesResolutions('checking', 'testing'), true, 'the debug project now sees it')
  t.equal(changesResolutions('testing', 'checking'), true, 'a recheck hides it from the debug project')
  t.equal(changesResolutions('testing', 'released'), true, 'a release')
  t.equal(changesResolutions('testing', 'cancelled'), true, 'cancelling a version under test')
  t.equal(changesResolutions('released', 'withdrawn'), true, 'a withdrawal')
  t.equal(changesResolutions('testing', 'awaiting_approval'), true, 'a release asked for (the debug project still sees it)')
  t.equal(changesResolutions('awaiting_approval', 'released'), true, 'the last approval')
  t.equal(changesResolutions('awaiting_approval', 'checking'), true, 'a recheck while approvals are awaited')
})
