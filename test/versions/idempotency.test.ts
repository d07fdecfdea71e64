import t from 'tap'
import { build } from '../helpers/app.js'
import { action, createImage, push, registryEnv, startTestRegistry, submit, versionsUrl } from './fixtures.js'

t.test('Idempotency-Key on submissions', async (t) => {
  const registry = await startTestRegistry(t)
  for (const tag of ['v1', 'v2']) await push(registry, 'team/idem', tag)
  const app = await build(t, { env: registryEnv(registry) })
  const at = { registry: registry.host, repository: 'team/idem' }
  const count = async (code: string) => {
    const res = await app.call({ method: 'GET', url: versionsUrl(code) })
    return res.json().items.length as number
  }

  t.test('a retry with the same key and body returns the original answer, not a 409', async (t) => {
    await createImage(app, { code: 'idem-retry' })
    const headers = { 'idempotency-key': 'key-1' }
    const first = await submit(app, 'idem-retry', { ...at, tag: 'v1', releaseNotes: 'n' }, headers)
    t.equal(first.statusCode, 202)
    t.equal(first.headers['idempotency-replayed'], undefined)
    // Same members in another order: the same request.
    const retry = await submit(app, 'idem-retry', { releaseNotes: 'n', tag: 'v1', ...at }, headers)
    t.equal(retry.statusCode, 202)
    t.equal(retry.headers.location, first.headers.location)
    t.equal(retry.headers['idempotency-replayed'], 'true')
    t.same(retry.json(), first.json(), 'the original body, status checking as it was then')
    t.equal(await count('idem-retry'), 1)

    const without = await submit(app, 'idem-retry', { ...at, tag: 'v1', releaseNotes: 'n' })
    t.equal(without.statusCode, 409, 'without the key it is a new submission, refused while one is in progress')
    const otherKey = await submit(app, 'idem-retry', { ...at, tag: 'v1', releaseNotes: 'n' }, { 'idempotency-key': 'key-2' })
    t.equal(otherKey.statusCode, 409)
    t.equal(otherKey.json().code, 'VERSION_IN_PROGRESS')
  })

  t.test('the same key with another body is a 422 and changes nothing', async (t) => {
    await createImage(app, { code: 'idem-reuse' })
    const headers = { 'idempotency-key': 'reused' }
    t.equal((await submit(app, 'idem-reuse', { ...at, tag: 'v1' }, headers)).statusCode, 202)
    await action(app, 'idem-reuse', '1.0.0', 'cancel')
    const other = await submit(app, 'idem-reuse', { ...at, tag: 'v2' }, headers)
    t.equal(other.statusCode, 422)
    t.equal(other.json().code, 'IDEMPOTENCY_KEY_REUSED')
    t.equal(await count('idem-reuse'), 1)
    const retried = await submit(app, 'idem-reuse', { ...at, tag: 'v1' }, headers)
    t.equal(retried.statusCode, 202, 'the original request still replays after the version moved on')
    t.equal(retried.json().status, 'checking')
    t.equal(await count('idem-reuse'), 1)
  })

  t.test('keys are scoped per token and per image', async (t) => {
    await createImage(app, { code: 'idem-scope-a' })
    await createImage(app, { code: 'idem-scope-b' })
    const headers = { 'idempotency-key': 'shared' }
    t.equal((await submit(app, 'idem-scope-a', { ...at, tag: 'v1' }, headers)).statusCode, 202)
    const b = await submit(app, 'idem-scope-b', { ...at, tag: 'v1' }, headers)
    t.equal(b.statusCode, 202)
    t.equal(b.headers['idempotency-replayed'], undefined, 'another image: a new submission')
    t.equal(b.headers.location, '/v1/images/idem-scope-b/versions/1.0.0')
    const publisher = await app.token({ name: 'admin', scopes: ['images:write', 'images:read'] })
    const byOther = await submit(app, 'idem-scope-a', { ...at, tag: 'v1' }, headers, publisher)
    t.equal(byOther.statusCode, 409, "another token's key does not replay this one's answer")
  })

  t.test('concurrent retries with one key: all get the one version', async (t) => {
    await createImage(app, { code: 'idem-race' })
    const headers = { 'idempotency-key': 'race' }
    const responses = await Promise.all(Array.from({ length: 10 }, () => submit(app, 'idem-race', { ...at, tag: 'v1' }, headers)))
    t.same(
      responses.map((r) => r.statusCode),
      Array(10).fill(202)
    )
    t.same(new Set(responses.map((r) => r.json().version)), new Set(['1.0.0']))
    t.equal(responses.filter((r) => r.headers['idempotency-replayed'] === undefined).length, 1, 'one original, the rest replays')
    t.equal(await count('idem-race'), 1)
  })

  t.test('malformed keys are 400', async (t) => {
    await createImage(app, { code: 'idem-bad' })
    const res = await submit(app, 'idem-bad', { ...at, tag: 'v1' }, { 'idempotency-key': 'x'.repeat(256) })
    t.equal(res.statusCode, 400)
    t.equal(res.json().code, 'VALIDATION_FAILED')
    t.equal(await count('idem-bad'), 0)
  })
})
