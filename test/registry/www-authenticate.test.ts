import t from 'tap'
import { findChallenge, parseWwwAuthenticate } from '../../src/registry/www-authenticate.js'

t.test('parses a Docker Hub bearer challenge', async (t) => {
  const challenges = parseWwwAuthenticate(
    'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"'
  )
  t.same(challenges, [
    {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' }
    }
  ])
})

t.test('keeps commas inside quoted values', async (t) => {
  const [challenge] = parseWwwAuthenticate(
    'Bearer realm="https://r.example/token",scope="repository:a/b:pull,push",error="insufficient_scope"'
  )
  t.equal(challenge?.params.scope, 'repository:a/b:pull,push')
  t.equal(challenge?.params.error, 'insufficient_scope')
})

t.test('splits several challenges in one header', async (t) => {
  const challenges = parseWwwAuthenticate('Basic realm="Registry Realm", Bearer realm="https://r.example/token", service="r.example"')
  t.equal(challenges.length, 2)
  t.same(challenges[0], { scheme: 'basic', params: { realm: 'Registry Realm' } })
  t.same(challenges[1], { scheme: 'bearer', params: { realm: 'https://r.example/token', service: 'r.example' } })
  t.equal(findChallenge(challenges, 'bearer')?.params.service, 'r.example')
  t.equal(findChallenge(challenges, 'basic')?.params.realm, 'Registry Realm')
})

t.test('unescapes quoted-pairs and lower-cases names, not values', async (t) => {
  const [challenge] = parseWwwAuthenticate('BEARER Realm="a \\"quoted\\" realm, with comma", Service=Token68Like')
  t.same(challenge, { scheme: 'bearer', params: { realm: 'a "quoted" realm, with comma', service: 'Token68Like' } })
})

t.test('accepts repeated header lines, extra whitespace, token68 and empty input', async (t) => {
  t.same(
    parseWwwAuthenticate(['Basic realm="a"', 'Bearer realm="b"']).map((c) => c.scheme),
    ['basic', 'bearer']
  )
  t.same(parseWwwAuthenticate('  Bearer   realm = "x" ,  service = y  '), [{ scheme: 'bearer', params: { realm: 'x', service: 'y' } }])
  t.same(parseWwwAuthenticate('Negotiate YWJjZA==, Basic realm="r"'), [
    { scheme: 'negotiate', params: {}, token68: 'YWJjZA==' },
    { scheme: 'basic', params: { realm: 'r' } }
  ])
  t.same(parseWwwAuthenticate('Basic'), [{ scheme: 'basic', params: {} }])
  t.same(parseWwwAuthenticate(undefined), [])
  t.same(parseWwwAuthenticate(''), [])
})

t.test('survives a truncated quoted value', async (t) => {
  t.same(parseWwwAuthenticate('Bearer realm="https://r.example/tok'), [{ scheme: 'bearer', params: { realm: 'https://r.example/tok' } }])
})
