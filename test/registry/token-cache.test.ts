import t from 'tap'
import { createTokenCache, tokenCacheKey } from '../../src/registry/token-cache.js'

function clock(): { now: () => number; advance: (ms: number) => void } {
  let current = 1_000_000
  return {
    now: () => current,
    advance: (ms) => {
      current += ms
    }
  }
}

const parts = { registry: 'r.example', realm: 'https://r.example/token', service: 'r.example', scope: 'repository:a:pull' }

t.test('keeps a token until expiry minus the margin', async (t) => {
  const c = clock()
  const cache = createTokenCache({ marginMs: 10_000, now: c.now })
  cache.set('k', 'tok', 300)
  c.advance(289_999)
  t.equal(cache.get('k'), 'tok')
  c.advance(1)
  t.equal(cache.get('k'), undefined, 'expired at 300 s - 10 s')
  t.equal(cache.size, 0, 'expired entries are dropped')
})

t.test('expires_in defaults to 60 s', async (t) => {
  const c = clock()
  const cache = createTokenCache({ marginMs: 5000, now: c.now })
  cache.set('a', 'tok')
  cache.set('b', 'tok', 0)
  c.advance(54_999)
  t.equal(cache.get('a'), 'tok')
  t.equal(cache.get('b'), 'tok')
  c.advance(1)
  t.equal(cache.get('a'), undefined)
  t.equal(cache.get('b'), undefined)
})

t.test('does not keep tokens that expire within the margin, and can forget one', async (t) => {
  const cache = createTokenCache({ marginMs: 10_000 })
  cache.set('short', 'tok', 5)
  t.equal(cache.get('short'), undefined)
  cache.set('k', 'tok', 300)
  cache.delete('k')
  t.equal(cache.get('k'), undefined)
})

t.test('bounds its size by evicting the oldest entry', async (t) => {
  const cache = createTokenCache({ maxEntries: 2 })
  cache.set('a', '1', 300)
  cache.set('b', '2', 300)
  cache.set('c', '3', 300)
  t.equal(cache.size, 2)
  t.equal(cache.get('a'), undefined)
  t.equal(cache.get('c'), '3')
})

t.test('keys separate registries, scopes and credentials, without the password in clear', async (t) => {
  const anonymous = tokenCacheKey({ ...parts, credential: undefined })
  const alice = tokenCacheKey({ ...parts, credential: { username: 'alice', password: 's3cret-pass' } })
  const alice2 = tokenCacheKey({ ...parts, credential: { username: 'alice', password: 'other' } })
  const otherScope = tokenCacheKey({ ...parts, scope: 'repository:b:pull', credential: undefined })
  const otherRegistry = tokenCacheKey({ ...parts, registry: 'q.example', credential: undefined })
  t.equal(new Set([anonymous, alice, alice2, otherScope, otherRegistry]).size, 5)
  t.notMatch(alice, /s3cret-pass/)
  t.equal(alice, tokenCacheKey({ ...parts, credential: { username: 'alice', password: 's3cret-pass' } }))
})
