import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { announceChange, insertImage, insertVersion, setStatus } from './fixtures.js'

/** Polls replica until it resolves `expected`; returns how long that took (ms), or fails after `limitMs`. */
async function until(replica: TestApp, url: string, expected: string, limitMs: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    const res = await replica.call({ method: 'GET', url })
    if (res.json().version === expected) return Date.now() - started
    if (Date.now() - started > limitMs) throw new Error(`still ${res.json().version} after ${limitMs} ms, expected ${expected}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

t.test('a change through replica A is resolved by replica B within one second', async (t) => {
  const a = await build(t)
  const b = await build(t, { databaseUrl: a.databaseUrl })
  const image = await insertImage(a.app.db, 'tools', { visibilityPublic: true })
  await insertVersion(a.app.db, image, '1.0.0', 'released')
  const url = '/v1/images/tools/resolve?version=1.latest&project=payments'

  t.equal((await b.call({ method: 'GET', url })).json().version, '1.0.0')
  const release = await insertVersion(a.app.db, image, '1.1.0', 'released')
  t.equal((await b.call({ method: 'GET', url })).json().version, '1.0.0', 'B answers from its cache until told')

  await announceChange(a.app, image)
  const releaseMs = await until(b, url, '1.1.0', 1000)
  t.ok(releaseMs < 1000, `release seen by B after ${releaseMs} ms`)

  await setStatus(a.app.db, release.id, 'withdrawn', { withdrawReason: 'bad' })
  await announceChange(a.app, image)
  const withdrawMs = await until(b, url, '1.0.0', 1000)
  t.ok(withdrawMs < 1000, `withdrawal seen by B after ${withdrawMs} ms`)

  // Through A's API this time: the change the images feature commits reaches B the same way.
  t.equal((await a.call({ method: 'PATCH', url: '/v1/images/tools', payload: { visibility: { public: false } } })).statusCode, 200)
  const started = Date.now()
  let status = 200
  while (status === 200 && Date.now() - started < 1000) {
    // A cache hit involves no I/O; pausing lets the event loop read the notification socket.
    await new Promise((r) => setTimeout(r, 10))
    status = (await b.call({ method: 'GET', url })).statusCode
  }
  t.equal(status, 404, 'a visibility change reaches B too')
})
