import t from 'tap'
import {
  buildReference,
  formatPinned,
  formatReference,
  parseReference,
  InvalidReferenceError,
  DIGEST_PATTERN,
  REGISTRY_HOST_PATTERN,
  REPOSITORY_PATTERN,
  TAG_PATTERN
} from '../../src/registry/reference.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

t.test('normalises Docker Hub references', async (t) => {
  t.same(parseReference('nginx:1.25'), { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'library/nginx', tag: '1.25' })
  t.same(parseReference('bitnami/redis'), { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'bitnami/redis' })
  t.equal(parseReference('index.docker.io/nginx:latest').repository, 'library/nginx')
  t.equal(parseReference('index.docker.io/nginx:latest').registry, 'docker.io')
  t.equal(parseReference('docker.io/library/nginx').apiHost, 'registry-1.docker.io')
})

t.test('recognises a registry by dot, colon or localhost', async (t) => {
  t.same(parseReference('ghcr.io/org/app:v1'), { registry: 'ghcr.io', apiHost: 'ghcr.io', repository: 'org/app', tag: 'v1' })
  t.same(parseReference('localhost:5000/a/b:c'), { registry: 'localhost:5000', apiHost: 'localhost:5000', repository: 'a/b', tag: 'c' })
  t.same(parseReference('localhost/app'), { registry: 'localhost', apiHost: 'localhost', repository: 'app' })
  t.equal(parseReference('[fd00::1]:5000/team/app:1').registry, '[fd00::1]:5000')
  t.equal(parseReference('Registry.Example.COM/app:1').registry, 'registry.example.com')
  // Without dot/colon/localhost the first segment is a namespace on Docker Hub.
  t.same(parseReference('myhost/app:1'), { registry: 'docker.io', apiHost: 'registry-1.docker.io', repository: 'myhost/app', tag: '1' })
})

t.test('splits tag and digest', async (t) => {
  t.same(parseReference(`127.0.0.1:5000/team/app@${DIGEST}`), {
    registry: '127.0.0.1:5000',
    apiHost: '127.0.0.1:5000',
    repository: 'team/app',
    digest: DIGEST
  })
  const both = parseReference(`r.example/app:1.0@${DIGEST}`)
  t.equal(both.tag, '1.0')
  t.equal(both.digest, DIGEST)
  t.equal(parseReference('r.example:443/app').tag, undefined, 'a port is not a tag')
})

t.test('rejects malformed references', async (t) => {
  const bad = [
    '',
    'Nginx',
    'registry.example/Team/app',
    'app:',
    'app:-bad',
    `app:${'x'.repeat(129)}`,
    'app@sha256:abc',
    `app@SHA256:${'a'.repeat(64)}`,
    `app@md5:${'a'.repeat(32)}`,
    'a//b',
    'a/b/',
    '-app',
    'app_',
    'app..x',
    'registry..example/app',
    'https://registry.example/app',
    'app name',
    `r.example/${'a'.repeat(250)}`,
    // The shape of a host, but nothing a client can connect to.
    'registry.example:99999/app',
    '[:::]/app',
    '[1.2.3.4]/app'
  ]
  for (const input of bad) t.throws(() => parseReference(input), InvalidReferenceError, JSON.stringify(input))
  t.throws(() => parseReference('Team/App'), { message: /repository name must be lower case/ })
  t.throws(() => parseReference('app@sha256:abc'), { message: /not a valid sha256\/sha512 digest/ })
  t.throws(() => buildReference({ registry: 'host:99999', repository: 'a/b', tag: '1' }), {
    message: /"host:99999" is not a valid registry host/
  })
})

t.test('accepts the separators of the grammar', async (t) => {
  for (const repository of ['a', 'a_b', 'a__b', 'a.b', 'a-b', 'a---b', 'a/b/c/d', '0abc/1-2.3_4']) {
    t.equal(parseReference(`r.example/${repository}:1`).repository, repository)
  }
  t.equal(parseReference(`r.example/a@sha512:${'b'.repeat(128)}`).digest, `sha512:${'b'.repeat(128)}`)
})

t.test('buildReference normalises separately held parts', async (t) => {
  t.same(buildReference({ repository: 'nginx', tag: '1' }), {
    registry: 'docker.io',
    apiHost: 'registry-1.docker.io',
    repository: 'library/nginx',
    tag: '1'
  })
  t.equal(buildReference({ registry: '', repository: 'a/b', tag: '1' }).registry, 'docker.io')
  t.equal(buildReference({ registry: 'index.docker.io', repository: 'alpine', tag: '3' }).repository, 'library/alpine')
  t.same(buildReference({ registry: 'harbor.example:8443', repository: 'proj/app', tag: 'v2' }), {
    registry: 'harbor.example:8443',
    apiHost: 'harbor.example:8443',
    repository: 'proj/app',
    tag: 'v2'
  })
  t.throws(() => buildReference({ registry: 'bad host', repository: 'a', tag: '1' }), InvalidReferenceError)
  t.throws(() => buildReference({ registry: 'r.example', repository: 'A', tag: '1' }), InvalidReferenceError)
  t.throws(() => buildReference({ registry: 'r.example', repository: 'a', tag: 'no spaces' }), InvalidReferenceError)
})

t.test('formats references', async (t) => {
  const ref = parseReference('nginx:1.25')
  t.equal(formatReference(ref), 'docker.io/library/nginx:1.25')
  t.equal(formatPinned(ref, DIGEST), `docker.io/library/nginx@${DIGEST}`)
  t.equal(formatReference(parseReference(`r.example/a@${DIGEST}`)), `r.example/a@${DIGEST}`)
  t.equal(formatPinned(parseReference(`r.example/a@${DIGEST}`)), `r.example/a@${DIGEST}`)
  t.throws(() => formatPinned(ref), InvalidReferenceError, 'pinning needs a digest')
})

t.test('exported patterns work as JSON-schema patterns (unicode regexes)', async (t) => {
  const re = (pattern: string): RegExp => new RegExp(pattern, 'u')
  t.ok(re(REPOSITORY_PATTERN).test('team/app-1'))
  t.notOk(re(REPOSITORY_PATTERN).test('Team/app'))
  t.ok(re(TAG_PATTERN).test('v1.2.3_rc-1'))
  t.notOk(re(TAG_PATTERN).test('.v1'))
  t.ok(re(DIGEST_PATTERN).test(DIGEST))
  t.notOk(re(DIGEST_PATTERN).test('sha256:abc'))
  t.ok(re(REGISTRY_HOST_PATTERN).test('registry.example.com:5000'))
  t.ok(re(REGISTRY_HOST_PATTERN).test('[fd00::1]:5000'))
  t.notOk(re(REGISTRY_HOST_PATTERN).test('registry.example.com/path'))
})
