import t from 'tap'
import {
  buildReference,
  InvalidReferenceError,
  InvalidRegistryHostError,
  normaliseRegistryHost,
  parseReference
} from '../../src/registry/reference.js'
import { isBoundRegistry, isBoundUrl } from '../../src/registry/registry-host.js'

t.test('registry hosts are normalised', async (t) => {
  t.equal(normaliseRegistryHost('Harbor.Example.COM'), 'harbor.example.com')
  for (const hub of ['', 'docker.io', 'index.docker.io', 'registry-1.docker.io', 'Docker.IO'])
    t.equal(normaliseRegistryHost(hub), 'docker.io', JSON.stringify(hub))
  t.equal(normaliseRegistryHost('127.0.0.1:5000'), '127.0.0.1:5000')
  t.equal(normaliseRegistryHost('localhost'), 'localhost')
  t.equal(normaliseRegistryHost('localhost:5000'), 'localhost:5000')
  t.equal(normaliseRegistryHost('[FD00:0:0::1]:5000'), '[fd00::1]:5000')
  t.equal(normaliseRegistryHost('harbor:8443'), 'harbor:8443', 'a port makes a single name a host')
})

t.test('a single label without a port is refused with a hint', async (t) => {
  t.throws(() => normaliseRegistryHost('harbor'), {
    name: 'InvalidRegistryHostError',
    message: /single name .*harbor\.example\.com, or host:port; for Docker Hub use docker\.io/
  })
  for (const bad of ['https://harbor.example.com', 'harbor.example.com/', 'a b', 'host:99999', '[1.2.3.4]'])
    t.throws(() => normaliseRegistryHost(bad), InvalidRegistryHostError, bad)
  t.throws(() => buildReference({ registry: 'harbor', repository: 'ns/repo', tag: '1' }), InvalidReferenceError)
  // As a reference string, Docker's grammar still reads a first segment without dot or port as a
  // Docker Hub namespace; only an explicit registry field is refused.
  t.equal(parseReference('harbor/ns/repo:1').registry, 'docker.io')
})

t.test('a URL may carry a credential only on a bound host and port', async (t) => {
  const bound = ['harbor.example.com', '127.0.0.1:5000', 'docker.io', '[fd00::1]:5000']
  const ok = [
    'https://harbor.example.com/v2/',
    'https://harbor.example.com:443/token',
    'http://127.0.0.1:5000/v2/',
    'https://registry-1.docker.io/v2/',
    'https://auth.docker.io/token',
    'http://[fd00::1]:5000/v2/',
    'https://HARBOR.example.com./x'
  ]
  const refused = [
    'https://harbor.example.com:8443/',
    'http://127.0.0.1:5001/',
    'https://evil.example/',
    'https://auth.docker.io:8443/',
    'https://example.docker.io/',
    'https://harbor.example.com.evil.example/'
  ]
  for (const url of ok) t.ok(isBoundUrl(bound, new URL(url)), url)
  for (const url of refused) t.notOk(isBoundUrl(bound, new URL(url)), url)
  t.ok(isBoundUrl(['harbor.example.com:443'], new URL('https://harbor.example.com/')), 'an explicit default port')
  t.notOk(isBoundUrl([], new URL('https://harbor.example.com/')), 'unbound: nowhere')
})

t.test('a version registry is covered only by an equal host', async (t) => {
  t.ok(isBoundRegistry(['docker.io'], 'docker.io'))
  t.ok(isBoundRegistry(['docker.io'], 'index.docker.io'))
  t.notOk(isBoundRegistry(['harbor.example.com'], 'harbor.example.com:5000'))
  t.notOk(isBoundRegistry([], 'harbor.example.com'))
})
