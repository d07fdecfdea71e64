import t from 'tap'
import { ADMIN_TOKEN, build, type TestApp } from '../helpers/app.js'
import { createImage, RECEIVER_ENV, startReceiver, subscribe, updateImage, waitFor } from './delivery-rig.js'

async function rotate(app: TestApp, id: string, graceSeconds: number): Promise<string> {
  const res = await app.app.inject({
    method: 'POST',
    url: `/v1/webhooks/${id}/rotate-secret`,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    payload: { graceSeconds }
  })
  if (res.statusCode !== 200) throw new Error(`rotate: ${res.statusCode} ${res.body}`)
  return res.json<{ secret: string }>().secret
}

t.test('during a rotation both secrets sign, each signature verifies; after the grace only the new one', async (t) => {
  const receiver = await startReceiver(t)
  const app = await build(t, { env: RECEIVER_ENV })
  const sub = await subscribe(app, receiver)
  const rotated = await rotate(app, sub.id, 3600)
  receiver.secrets.push(rotated)
  await createImage(app, 'rotating')
  await waitFor('the delivery', () => receiver.received.length === 1)
  const [during] = receiver.received
  t.equal(during?.signatures.length, 2, 'two v1 signatures')
  t.ok(
    during?.signatures.every((s) => s.startsWith('v1,')),
    'each a v1 signature'
  )
  t.same(during?.verifiedWith.sort(), [sub.secret, rotated].sort(), 'verifies with the old secret and with the new one')

  // No grace: the secret just replaced stops signing at once.
  const latest = await rotate(app, sub.id, 0)
  receiver.secrets.push(latest)
  await updateImage(app, 'rotating', 'renamed')
  await waitFor('the second delivery', () => receiver.received.length === 2)
  const after = receiver.received[1]
  t.equal(after?.signatures.length, 1)
  t.same(after?.verifiedWith, [latest], 'only the newest secret verifies')
  t.same(receiver.unverified, [])
})
