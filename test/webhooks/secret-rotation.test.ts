import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { openSigningSecrets } from '../../src/webhooks/signing-secret.js'
import { subscribe, webhookFixture } from './fixture.js'

const { test, tokens } = await webhookFixture(t)
const rowOf = (id: string) => test.app.db.selectFrom('webhookSubscriptions').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
const rotate = (id: string, payload?: unknown) =>
  test.call({ method: 'POST', url: `/v1/webhooks/${id}/rotate-secret`, token: tokens.pubA, ...(payload !== undefined ? { payload } : {}) })

t.test('during the grace both secrets sign, the new one first; after it only the new one', async (t) => {
  const created = await subscribe(test, tokens.pubA, {})
  const before = Date.now()
  const res = await rotate(created.id, { graceSeconds: 60 })
  t.equal(res.statusCode, 200, res.body)
  const { secret, previousSecretExpiresAt } = res.json<{ secret: string; previousSecretExpiresAt: string }>()
  t.match(secret, /^whsec_/)
  t.not(secret, created.secret)
  const expires = new Date(previousSecretExpiresAt).getTime()
  t.ok(expires >= before + 60_000 && expires <= Date.now() + 60_000, 'the grace ends 60 s after the rotation')

  const row = await rowOf(created.id)
  const now = new Date()
  t.same(openSigningSecrets(test.app.secretSealer, row, now), [secret, created.secret])
  t.same(openSigningSecrets(test.app.secretSealer, row, new Date(expires + 1)), [secret])
  t.notOk(row.previousSecretCiphertext?.includes(Buffer.from(created.secret)), 'the old secret is sealed too')

  // A receiver holding either secret verifies a message signed as the engine signs it during the grace.
  const payload = '{"type":"version.released"}'
  const signatures = openSigningSecrets(test.app.secretSealer, row, now)
    .map((s) => new Webhook(s).sign('msg_1', now, payload))
    .join(' ')
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': signatures }
  for (const held of [created.secret, secret]) t.ok(new Webhook(held).verify(payload, headers))

  const shown = await test.call({ method: 'GET', url: `/v1/webhooks/${created.id}`, token: tokens.pubA })
  t.equal(shown.json().previousSecretExpiresAt, previousSecretExpiresAt)
  t.notOk(shown.body.includes(secret))
  t.notOk(test.logs.join('').includes(secret), 'the new secret is never logged')
})

t.test('no body: a day of grace; graceSeconds 0: the old secret stops at once; a second rotation drops the oldest', async (t) => {
  const created = await subscribe(test, tokens.pubA, {})
  const first = await rotate(created.id)
  t.equal(first.statusCode, 200, first.body)
  const day = new Date(first.json().previousSecretExpiresAt).getTime() - Date.now()
  t.ok(day > 86_390_000 && day <= 86_400_000, 'about a day')

  const second = await rotate(created.id, { graceSeconds: 3600 })
  const row = await rowOf(created.id)
  t.same(openSigningSecrets(test.app.secretSealer, row, new Date()), [second.json().secret, first.json().secret])

  const third = await rotate(created.id, { graceSeconds: 0 })
  t.equal(third.json().previousSecretExpiresAt, null)
  const after = await rowOf(created.id)
  t.same(openSigningSecrets(test.app.secretSealer, after, new Date()), [third.json().secret])
  t.equal(after.previousSecretCiphertext, null)
})

t.test('rotation needs images:write for the project', async (t) => {
  const created = await subscribe(test, tokens.pubA, {})
  const res = await test.call({ method: 'POST', url: `/v1/webhooks/${created.id}/rotate-secret`, token: tokens.readerA, payload: {} })
  t.equal(res.statusCode, 403)
  t.same(openSigningSecrets(test.app.secretSealer, await rowOf(created.id), new Date()), [created.secret], 'unchanged')
})
