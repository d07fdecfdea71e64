import t, { type Test } from 'tap'
import { RECEIVER, subscribe, webhookFixture } from './fixture.js'

const { test, tokens } = await webhookFixture(t, { WEBHOOK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1:9999,receiver.lan' })
const create = (payload: Record<string, unknown>) => test.call({ method: 'POST', url: '/v1/webhooks', token: tokens.pubA, payload })

async function refused(t: Test, payload: Record<string, unknown>, code: string, pattern?: RegExp) {
  const res = await create(payload)
  t.equal(res.statusCode, 400, JSON.stringify(payload))
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  const problem = res.json()
  t.equal(problem.code, code)
  if (pattern) t.match(problem.detail, pattern)
  return problem
}

t.test('receiver URLs refused with the reason', async (t) => {
  const cases: [string, RegExp][] = [
    ['http://hooks.example.com/ci', /plain http is allowed only to hosts listed/],
    ['ftp://hooks.example.com/ci', /scheme ftp/],
    ['https://user:pw@hooks.example.com/ci', /user name or password/],
    ['https://10.1.2.3/ci', /private/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://localhost/ci', /loopback/],
    ['not a url', /not an absolute URL/]
  ]
  for (const [url, reason] of cases) {
    const problem = await refused(t, { url, events: ['*'] }, 'WEBHOOK_URL_REFUSED', reason)
    t.match(problem.reason, reason)
    t.notOk(String(problem.detail).includes('pw@'), 'the password is not echoed')
  }
  t.equal((await create({ url: 'http://127.0.0.1:9999/hook', events: ['*'] })).statusCode, 201, 'a listed host:port may be http')
  t.equal((await create({ url: 'http://receiver.lan/hook', events: ['*'] })).statusCode, 201)
  t.equal((await create({ url: 'http://127.0.0.1:9998/hook', events: ['*'] })).statusCode, 400, 'not another port')
})

t.test('event types: known ones, "*" alone, at least one, no webhook.disabled', async (t) => {
  await refused(t, { url: RECEIVER, events: ['version.exploded'] }, 'VALIDATION_FAILED', /events/)
  await refused(t, { url: RECEIVER, events: ['webhook.disabled'] }, 'VALIDATION_FAILED')
  await refused(t, { url: RECEIVER, events: ['version.check_retry_scheduled'] }, 'VALIDATION_FAILED')
  await refused(t, { url: RECEIVER, events: [] }, 'VALIDATION_FAILED')
  await refused(t, { url: RECEIVER, events: ['version.released', 'version.released'] }, 'VALIDATION_FAILED')
  await refused(t, { url: RECEIVER, events: ['*', 'version.released'] }, 'WEBHOOK_EVENTS_MIXED')
  await refused(t, { url: RECEIVER }, 'VALIDATION_FAILED')
  const all = await create({
    url: RECEIVER,
    events: [
      'image.associated',
      'image.updated',
      'image.deleted',
      'image.credential_rebound',
      'version.submitted',
      'version.check_passed',
      'version.check_failed',
      'version.recheck_requested',
      'version.released',
      'version.cancelled',
      'version.withdrawn'
    ]
  })
  t.equal(all.statusCode, 201, 'every type the service writes may be listed')
})

t.test('unknown fields, bad images and bad descriptions are refused', async (t) => {
  const unknown = await refused(t, { url: RECEIVER, events: ['*'], secret: 'whsec_mine' }, 'VALIDATION_FAILED')
  t.ok(unknown.errors.length > 0)
  await refused(t, { url: RECEIVER, events: ['*'], images: [] }, 'VALIDATION_FAILED')
  await refused(t, { url: RECEIVER, events: ['*'], images: ['Not A Code'] }, 'VALIDATION_FAILED')
  await refused(t, { url: RECEIVER, events: ['*'], description: 'a\u0000b' }, 'VALIDATION_FAILED')
  await refused(t, { url: RECEIVER, events: ['*'], project: 'Bad Project' }, 'VALIDATION_FAILED')
  await refused(t, { url: `https://hooks.example.com/${'a'.repeat(2100)}`, events: ['*'] }, 'VALIDATION_FAILED')
})

t.test('PATCH: the same checks; rotate: grace bounds; ids must be UUIDs', async (t) => {
  const created = await subscribe(test, tokens.pubA, {})
  const patch = (payload: unknown) => test.call({ method: 'PATCH', url: `/v1/webhooks/${created.id}`, token: tokens.pubA, payload })
  t.equal((await patch({ url: 'http://hooks.example.com/x' })).json().code, 'WEBHOOK_URL_REFUSED')
  t.equal((await patch({ events: ['*', 'image.updated'] })).json().code, 'WEBHOOK_EVENTS_MIXED')
  t.equal((await patch({ status: 'paused' })).json().code, 'VALIDATION_FAILED')
  t.equal((await patch({ failingSince: null })).json().code, 'VALIDATION_FAILED')
  const rotate = (payload: unknown) =>
    test.call({ method: 'POST', url: `/v1/webhooks/${created.id}/rotate-secret`, token: tokens.pubA, payload })
  t.equal((await rotate({ graceSeconds: 604_801 })).statusCode, 400)
  t.equal((await rotate({ graceSeconds: -1 })).statusCode, 400)
  t.equal((await rotate({ graceSeconds: 1.5 })).statusCode, 400)
  t.equal((await rotate({ grace: 10 })).statusCode, 400)
  const notUuid = await test.call({ method: 'GET', url: '/v1/webhooks/not-a-uuid' })
  t.equal(notUuid.statusCode, 400)
  t.equal(notUuid.json().code, 'VALIDATION_FAILED')
  const unchanged = await test.app.db.selectFrom('webhookSubscriptions').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow()
  t.equal(unchanged.url, RECEIVER, 'nothing refused was stored')
  t.equal(unchanged.previousSecretCiphertext, null)
})
