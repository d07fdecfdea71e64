import t from 'tap'
import { build } from '../helpers/app.js'
import {
  action,
  createImage,
  getVersion,
  publish,
  push,
  registryEnv,
  startTestRegistry,
  submit,
  versionEvents,
  versionsUrl,
  waitForCheck
} from './fixtures.js'

t.test('the release lifecycle', async (t) => {
  const registry = await startTestRegistry(t)
  for (const tag of ['v1', 'v2', 'v3']) await push(registry, 'team/life', tag)
  const app = await build(t, { env: registryEnv(registry) })
  const at = { registry: registry.host, repository: 'team/life' }
  const tested = async (code: string, payload: Record<string, unknown>) => {
    const res = await submit(app, code, { ...at, ...payload })
    t.equal(res.statusCode, 202)
    const v = await waitForCheck(app, code, res.json().version)
    t.equal(v.status, 'testing')
    return v
  }

  t.test('release: testing → released, records who and when, and the image last release', async (t) => {
    await createImage(app, { code: 'life-release' })
    await tested('life-release', { tag: 'v1' })
    const before = Date.now()
    const res = await action(app, 'life-release', '1.0.0', 'release', undefined)
    t.equal(res.statusCode, 200)
    t.match(res.json(), { version: '1.0.0', status: 'released', releasedBy: 'admin', allowedActions: ['withdraw'], statusReason: null })
    const releasedAt = Date.parse(res.json().releasedAt)
    t.ok(releasedAt >= before - 1000 && releasedAt <= Date.now() + 1000, 'releasedAt is now')
    const image = await app.app.db
      .selectFrom('images')
      .select('lastReleasedAt')
      .where('code', '=', 'life-release')
      .executeTakeFirstOrThrow()
    t.equal(image.lastReleasedAt?.toISOString(), res.json().releasedAt)

    const again = await action(app, 'life-release', '1.0.0', 'release')
    t.equal(again.statusCode, 409)
    t.match(again.json(), { code: 'VERSION_STATUS_CONFLICT', currentStatus: 'released', allowedActions: ['withdraw'], version: '1.0.0' })
    t.match(again.json().detail, /"release" needs it to be testing/)
  })

  t.test('withdraw: released → withdrawn with a reason; final', async (t) => {
    await createImage(app, { code: 'life-withdraw' })
    await publish(app, 'life-withdraw', { ...at, tag: 'v1' })
    const missing = await action(app, 'life-withdraw', '1.0.0', 'withdraw', {})
    t.equal(missing.statusCode, 400, 'a reason is required')
    t.equal((await getVersion(app, 'life-withdraw', '1.0.0')).status, 'released', 'nothing changed')
    const res = await action(app, 'life-withdraw', '1.0.0', 'withdraw', { reason: 'CVE-2026-1 in openssl' })
    t.equal(res.statusCode, 200)
    t.match(res.json(), {
      status: 'withdrawn',
      withdrawnBy: 'admin',
      withdrawReason: 'CVE-2026-1 in openssl',
      statusReason: 'CVE-2026-1 in openssl',
      allowedActions: []
    })
    t.type(res.json().withdrawnAt, 'string')
    for (const name of ['release', 'cancel', 'recheck'] as const) {
      const refused = await action(app, 'life-withdraw', '1.0.0', name)
      t.equal(refused.statusCode, 409, name)
      t.match(refused.json(), { currentStatus: 'withdrawn', allowedActions: [] })
    }
    const twice = await action(app, 'life-withdraw', '1.0.0', 'withdraw', { reason: 'again' })
    t.equal(twice.statusCode, 409)
  })

  t.test('withdraw before release is refused', async (t) => {
    await createImage(app, { code: 'life-early' })
    await tested('life-early', { tag: 'v1' })
    const early = await action(app, 'life-early', '1.0.0', 'withdraw', { reason: 'x' })
    t.equal(early.statusCode, 409)
    t.match(early.json(), { currentStatus: 'testing', allowedActions: ['recheck', 'release', 'cancel'] })
  })

  t.test('cancel from check_failed and from testing; the number is free again; the reason is optional', async (t) => {
    await createImage(app, { code: 'life-cancel' })
    const failed = await submit(app, 'life-cancel', { ...at, tag: 'never-pushed' })
    const checked = await waitForCheck(app, 'life-cancel', failed.json().version)
    t.match(checked, { status: 'check_failed', checkClass: 'not_found', allowedActions: ['recheck', 'cancel'] })
    t.match(checked.statusReason, /was not found/)
    const cancelled = await action(app, 'life-cancel', '1.0.0', 'cancel')
    t.equal(cancelled.statusCode, 200)
    t.match(cancelled.json(), { status: 'cancelled', cancelledBy: 'admin', statusReason: null, allowedActions: [] })

    await tested('life-cancel', { tag: 'v1' })
    t.equal((await getVersion(app, 'life-cancel', '1.0.0')).status, 'testing', '1.0.0 now names the new, non-cancelled version')
    const withReason = await action(app, 'life-cancel', '1.0.0', 'cancel', { reason: 'wrong base image' })
    t.match(withReason.json(), { status: 'cancelled', statusReason: 'wrong base image' })
    const got = await getVersion(app, 'life-cancel', '1.0.0')
    t.match(got, { status: 'cancelled', tag: 'v1' }, 'with every 1.0.0 cancelled, the newest cancelled one answers')

    const badBody = await action(app, 'life-cancel', '1.0.0', 'cancel', { reason: 'x', extra: true })
    t.equal(badBody.statusCode, 400)
    const list = await app.call({ method: 'GET', url: versionsUrl('life-cancel') })
    t.same(
      list.json().items.map((v: { tag: string; status: string }) => `${v.tag} ${v.status}`),
      ['v1 cancelled', 'never-pushed cancelled']
    )
  })

  t.test('recheck: from check_failed after the push → checking → testing', async (t) => {
    await createImage(app, { code: 'life-recheck' })
    const res = await submit(app, 'life-recheck', { ...at, tag: 'late' })
    t.equal((await waitForCheck(app, 'life-recheck', res.json().version)).status, 'check_failed')
    const pushed = await push(registry, 'team/life', 'late')
    const recheck = await action(app, 'life-recheck', '1.0.0', 'recheck')
    t.equal(recheck.statusCode, 202)
    t.match(recheck.json(), { status: 'checking', statusReason: null, checkClass: null, allowedActions: ['cancel'] })
    const v = await waitForCheck(app, 'life-recheck', '1.0.0')
    t.match(v, { status: 'testing', digest: pushed.digest, checkClass: null, statusReason: null })
    const released = await action(app, 'life-recheck', '1.0.0', 'release')
    t.equal(released.statusCode, 200)
    const refused = await action(app, 'life-recheck', '1.0.0', 'recheck')
    t.equal(refused.statusCode, 409)
    t.match(refused.json(), { currentStatus: 'released', allowedActions: ['withdraw'] })
  })

  t.test('every transition is in the audit trail: who, from → to, reason, request id', async (t) => {
    await createImage(app, { code: 'life-audit' })
    await tested('life-audit', { tag: 'v1' })
    await app.call({ method: 'POST', url: `${versionsUrl('life-audit')}/1.0.0/release`, headers: { 'x-request-id': 'req-release' } })
    await app.call({
      method: 'POST',
      url: `${versionsUrl('life-audit')}/1.0.0/withdraw`,
      payload: { reason: 'superseded' },
      headers: { 'x-request-id': 'req-withdraw' }
    })
    const events = await versionEvents(app, 'life-audit')
    t.same(
      events.map((e) => [e.action, e.actor, e.version, e.details.from ?? null, e.details.to]),
      [
        ['version.submitted', 'admin', '1.0.0', null, 'checking'],
        ['version.check_passed', 'check-worker', '1.0.0', 'checking', 'testing'],
        ['version.released', 'admin', '1.0.0', 'testing', 'released'],
        ['version.withdrawn', 'admin', '1.0.0', 'released', 'withdrawn']
      ]
    )
    t.same(events[2]?.details, { from: 'testing', to: 'released' })
    t.equal(events[2]?.requestId, 'req-release')
    t.same(events[3]?.details, { from: 'released', to: 'withdrawn', reason: 'superseded' })
    t.equal(events[3]?.requestId, 'req-withdraw')
  })

  t.test('unknown versions, malformed versions, unknown images', async (t) => {
    await createImage(app, { code: 'life-404' })
    const unknown = await action(app, 'life-404', '9.9.9', 'release')
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'VERSION_NOT_FOUND')
    for (const bad of ['1.2', '1.2.3.4', 'latest', '01.0.0', '1.0.0-rc1']) {
      const res = await action(app, 'life-404', bad, 'release')
      t.equal(res.statusCode, 400, bad)
      const get = await app.call({ method: 'GET', url: `${versionsUrl('life-404')}/${bad}` })
      t.equal(get.statusCode, 400, `GET ${bad}`)
    }
    t.equal((await app.call({ method: 'GET', url: `${versionsUrl('life-404')}/1.0.0` })).statusCode, 404)
    const noImage = await action(app, 'no-such-image', '1.0.0', 'cancel')
    t.equal(noImage.statusCode, 404)
    t.equal(noImage.json().code, 'IMAGE_NOT_FOUND')
  })

  t.test('only the owner project (or admin) with images:write acts on versions', async (t) => {
    await createImage(app, { code: 'life-owners' })
    await tested('life-owners', { tag: 'v1' })
    // The debug project's token sees the image (it tests its versions) but may not change them.
    const stranger = await app.token({ name: 'stranger', scopes: ['images:write', 'images:read'], projects: ['payments-sandbox'] })
    const reader = await app.token({ name: 'admin-lookalike', scopes: ['images:read'] })
    for (const name of ['release', 'cancel', 'recheck'] as const) {
      const res = await action(app, 'life-owners', '1.0.0', name, undefined, stranger)
      t.equal(res.statusCode, 403, name)
      t.equal(res.json().code, 'NOT_IMAGE_OWNER')
      const scoped = await action(app, 'life-owners', '1.0.0', name, undefined, reader)
      t.equal(scoped.statusCode, 403)
      t.equal(scoped.json().code, 'INSUFFICIENT_SCOPE')
    }
    t.equal((await getVersion(app, 'life-owners', '1.0.0')).status, 'testing', 'nothing changed')
  })
})
