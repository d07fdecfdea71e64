import t from 'tap'
import type { LookupAddress } from 'node:dns'
import { forbiddenAddressKind } from '../../src/registry/ip-ranges.js'
import { createSsrfGuard, RefusedHostError } from '../../src/registry/ssrf-guard.js'

t.test('classifies each forbidden range', async (t) => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'],
    ['10.0.0.1', 'private'], ['10.255.255.255', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'], ['fc00::1', 'private'], ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'], ['169.254.0.23', 'link-local'], ['fe80::1', 'link-local'], ['febf::1', 'link-local'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'],
    ['100.64.0.1', 'carrier-grade NAT'], ['100.127.255.254', 'carrier-grade NAT'], ['100.100.100.200', 'carrier-grade NAT'],
    ['::ffff:127.0.0.1', 'loopback'], ['::ffff:10.1.2.3', 'private'], ['::ffff:a9fe:a9fe', 'link-local'],
    ['224.0.0.1', 'multicast'], ['[fe80::1%eth0]', 'link-local'],
    ['8.8.8.8', undefined], ['172.32.0.1', undefined], ['172.15.255.255', undefined], ['100.128.0.1', undefined],
    ['192.169.0.1', undefined], ['2606:4700::1111', undefined], ['::ffff:8.8.8.8', undefined], ['fec0::1', 'private'],
    ['not-an-ip', 'malformed']
  ]
  for (const [address, kind] of cases) t.equal(forbiddenAddressKind(address), kind, address)
})

function fakeResolver (answers: Record<string, string[]>): (hostname: string) => Promise<LookupAddress[]> {
  return async (hostname) => {
    const addresses = answers[hostname]
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
}

t.test('checkHost refuses names resolving to private addresses, and metadata names', async (t) => {
  const guard = createSsrfGuard({
    allowedHosts: [],
    resolveAll: fakeResolver({ 'public.example': ['93.184.216.34'], 'internal.example': ['10.1.2.3'], 'mixed.example': ['93.184.216.34', '192.168.0.5'], 'v6.example': ['fd00::5'] })
  })
  await t.resolves(guard.checkHost('public.example', '443'))
  await t.rejects(guard.checkHost('internal.example', '443'), { name: 'RefusedHostError', message: /10\.1\.2\.3, a private address/ })
  await t.rejects(guard.checkHost('mixed.example', '443'), RefusedHostError, 'any forbidden answer refuses')
  await t.rejects(guard.checkHost('v6.example', '443'), { message: /fd00::5, a private address/ })
  await t.rejects(guard.checkHost('127.0.0.1', '5000'), { message: /loopback/ })
  await t.rejects(guard.checkHost('[::1]', '5000'), { message: /loopback/ })
  await t.rejects(guard.checkHost('169.254.169.254', '80'), { message: /169\.254\.169\.254: it is a link-local address/ })
  await t.rejects(guard.checkHost('metadata.google.internal', '80'), { message: /metadata/ })
  await t.rejects(guard.checkHost('METADATA.google.internal.', '80'), { message: /metadata/ })
  await t.rejects(guard.checkHost('localhost', '5000'), { message: /loopback name/ })
  await t.rejects(guard.checkHost('missing.example', '443'), { code: 'ENOTFOUND' })
})

t.test('the allow list accepts host or host:port entries', async (t) => {
  const guard = createSsrfGuard({
    allowedHosts: ['registry.lan', '10.0.0.5:5000', '[fd00::1]:443', 'fd00::2'],
    resolveAll: fakeResolver({ 'registry.lan': ['10.0.0.9'] })
  })
  await t.resolves(guard.checkHost('registry.lan', '443'))
  await t.resolves(guard.checkHost('REGISTRY.LAN', '8443'))
  await t.resolves(guard.checkHost('10.0.0.5', '5000'))
  await t.rejects(guard.checkHost('10.0.0.5', '5001'), RefusedHostError, 'the port is part of the entry')
  await t.resolves(guard.checkHost('[fd00::1]', '443'))
  await t.resolves(guard.checkHost('fd00::2', '5000'))
  t.equal(guard.refusalForName('10.0.0.5', '5000'), undefined)
  t.type(guard.refusalForName('10.0.0.6', '5000'), RefusedHostError)
})

t.test('the connect-time lookup checks the addresses actually used (DNS rebinding)', async (t) => {
  let calls = 0
  const guard = createSsrfGuard({
    allowedHosts: [],
    // First answer public (passes a validation-time check), then private at connect time.
    resolveAll: async () => [{ address: calls++ === 0 ? '93.184.216.34' : '169.254.169.254', family: 4 }]
  })
  await t.resolves(guard.checkHost('rebind.example', '443'))
  const result = await new Promise<{ err: NodeJS.ErrnoException | null, address: unknown }>((resolve) =>
    guard.lookup('rebind.example', { all: true }, (err, address) => resolve({ err, address })))
  t.type(result.err, RefusedHostError)
  t.match(result.err?.message, /169\.254\.169\.254, a link-local address/)
})

t.test('the lookup answers in both dns.lookup shapes and honours the family', async (t) => {
  const guard = createSsrfGuard({ allowedHosts: [], resolveAll: fakeResolver({ 'dual.example': ['2606:4700::1111', '93.184.216.34'] }) })
  const all = await new Promise<unknown>((resolve, reject) =>
    guard.lookup('dual.example', { all: true }, (err, addresses) => err ? reject(err) : resolve(addresses)))
  t.same(all, [{ address: '2606:4700::1111', family: 6 }, { address: '93.184.216.34', family: 4 }])
  const single = await new Promise<[unknown, unknown]>((resolve, reject) =>
    guard.lookup('dual.example', { family: 4 }, (err, address, family) => err ? reject(err) : resolve([address, family])))
  t.same(single, ['93.184.216.34', 4])
})
