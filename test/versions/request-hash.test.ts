import t from 'tap'
import { requestHash } from '../../src/idempotency/request-hash.js'

t.test('key order and undefined members do not change the hash; values do', async (t) => {
  const a = requestHash({ tag: '1', repository: 'a/b', nested: { y: 1, x: [2, { q: 1, p: 2 }] } })
  t.equal(requestHash({ nested: { x: [2, { p: 2, q: 1 }], y: 1 }, repository: 'a/b', tag: '1', extra: undefined }), a)
  t.not(requestHash({ tag: '2', repository: 'a/b', nested: { y: 1, x: [2, { q: 1, p: 2 }] } }), a)
  t.not(requestHash({ tag: '1', repository: 'a/b', nested: { y: 1, x: [{ q: 1, p: 2 }, 2] } }), a, 'array order matters')
  t.match(a, /^[0-9a-f]{64}$/)
})
