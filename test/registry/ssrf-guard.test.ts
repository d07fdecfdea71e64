import t from 'tap'
import type { LookupAddress } from 'node:dns'
import { forbiddenAddressKind } from '../../src/registry/ip-ranges.js'
import { createSsrfGuard, RefusedHostError } from '../../src/registry/ssrf-guard.js'

// Every block of the IANA IPv4 and IPv6 special-purpose registries, the IPv6 forms that carry an
// IPv4 address, and public addresses on either side of each boundary.
const TABLE: [address: string, kind: string | undefined][] = [
  // IPv4 special-purpose registry
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['100.127.255.254', 'carrier-grade NAT'],
  ['100.100.100.200', 'carrier-grade NAT'],
  ['127.0.0.1', 'loopback'],
  ['127.255.0.9', 'loopback'],
  ['169.254.169.254', 'link-local'],
  ['169.254.0.23', 'link-local'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.0.0.1', 'IETF-reserved'],
  ['192.0.0.9', 'IETF-reserved'],
  ['192.0.0.170', 'IETF-reserved'],
  ['192.0.2.1', 'IETF-reserved'],
  ['192.31.196.1', 'AS112 anycast'],
  ['192.52.193.1', 'AMT anycast'],
  ['192.88.99.1', 'IETF-reserved'],
  ['192.168.1.1', 'private'],
  ['192.175.48.1', 'AS112 anycast'],
  ['198.18.0.1', 'IETF-reserved'],
  ['198.19.255.255', 'IETF-reserved'],
  ['198.51.100.7', 'IETF-reserved'],
  ['203.0.113.7', 'IETF-reserved'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['240.0.0.1', 'IETF-reserved'],
  ['255.255.255.254', 'IETF-reserved'],
  ['255.255.255.255', 'broadcast'],
  // public IPv4, next to the boundaries above
  ['8.8.8.8', undefined],
  ['1.1.1.1', undefined],
  ['11.0.0.1', undefined],
  ['100.63.255.255', undefined],
  ['100.128.0.1', undefined],
  ['126.255.255.255', undefined],
  ['128.0.0.1', undefined],
  ['169.255.0.1', undefined],
  ['172.15.255.255', undefined],
  ['172.32.0.1', undefined],
  ['192.0.1.1', undefined],
  ['192.0.3.1', undefined],
  ['192.169.0.1', undefined],
  ['198.17.255.255', undefined],
  ['198.20.0.1', undefined],
  ['223.255.255.255', undefined],
  // IPv6 special-purpose registry
  ['::', 'unspecified'],
  ['::1', 'loopback'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['fe80::1', 'link-local'],
  ['febf::1', 'link-local'],
  ['[fe80::1%eth0]', 'link-local'],
  ['fec0::1', 'private'],
  ['ff02::1', 'multicast'],
  ['ff0e::1', 'multicast'],
  ['100::1', 'discard-only'],
  ['100::ffff:ffff:ffff:ffff', 'discard-only'],
  ['100:0:0:1::1', 'IETF-reserved'],
  ['2001:1::1', 'IETF-reserved'],
  ['2001:1::2', 'IETF-reserved'],
  ['2001:2::1', 'IETF-reserved'],
  ['2001:3::1', 'AMT anycast'],
  ['2001:4:112::1', 'AS112 anycast'],
  ['2001:10::1', 'ORCHID'],
  ['2001:20::1', 'ORCHID'],
  ['2001:30::1', 'IETF-reserved'],
  ['2001:1ff::1', 'IETF-reserved'],
  ['2001:db8::1', 'IETF-reserved'],
  ['2620:4f:8000::1', 'AS112 anycast'],
  ['3fff::1', 'IETF-reserved'],
  ['3fff:fff::1', 'IETF-reserved'],
  ['5f00::1', 'segment-routing'],
  ['64:ff9b:1::1', 'local-use NAT64'],
  ['64:ff9b:1::a9fe:a9fe', 'local-use NAT64'],
  // outside 2000::/3 nothing is global unicast
  ['4000::1', 'IETF-reserved'],
  ['fe00::1', 'IETF-reserved'],
  ['1::1', 'IETF-reserved'],
  ['64:ff9b:0:1::1', 'IETF-reserved'],
  // public IPv6
  ['2606:4700::1111', undefined],
  ['2001:4860:4860::8888', undefined],
  ['2001:200::1', undefined],
  ['2a00:1450:4001::1', undefined],
  ['3ffe::1', undefined],
  // IPv4-mapped, dotted and hex: judged by the IPv4 inside
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.1.2.3', 'private'],
  ['::ffff:169.254.169.254', 'link-local'],
  ['::ffff:a9fe:a9fe', 'link-local'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['::ffff:8.8.8.8', undefined],
  ['::ffff:808:808', undefined],
  // NAT64 well-known prefix: judged by the IPv4 inside
  ['64:ff9b::a9fe:a9fe', 'link-local'],
  ['64:ff9b::169.254.169.254', 'link-local'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['64:ff9b::10.0.0.1', 'private'],
  ['64:ff9b::c0a8:101', 'private'],
  ['64:ff9b::808:808', undefined],
  ['64:ff9b::8.8.8.8', undefined],
  // IPv4-compatible (deprecated), IPv4-translated, 6to4 and Teredo: refused whatever they carry
  ['::169.254.169.254', 'link-local'],
  ['::a9fe:a9fe', 'link-local'],
  ['::7f00:1', 'loopback'],
  ['::8.8.8.8', 'IPv4-compatible'],
  ['::ffff:0:a9fe:a9fe', 'link-local'],
  ['::ffff:0:8.8.8.8', 'IPv4-translated'],
  ['2002:a9fe:a9fe::1', 'link-local'],
  ['2002:7f00:1::1', 'loopback'],
  ['2002:a00:1::', 'private'],
  ['2002:808:808::1', '6to4'],
  // Teredo: the RFC 4380 example's client is 192.0.2.45; then a link-local client, a private server, both public
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'IETF-reserved'],
  ['2001:0:4136:e378:8000:63bf:5601:5601', 'link-local'],
  ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'private'],
  ['2001:0:808:808:8000:63bf:f7f7:f7f7', 'Teredo'],
  // not an address a resolver returns
  ['not-an-ip', 'malformed'],
  ['127.1', 'malformed'],
  ['0x7f000001', 'malformed'],
  ['2130706433', 'malformed']
]

t.test('classifies each forbidden range', async (t) => {
  for (const [address, kind] of TABLE) t.equal(forbiddenAddressKind(address), kind, address)
})

t.test('a refusal names the IPv4 address inside an IPv6 one, and the form carrying it', async (t) => {
  const guard = createSsrfGuard({
    allowedHosts: [],
    resolveAll: fakeResolver({
      'nat64.example': ['64:ff9b::a9fe:a9fe'],
      'dns64.example': ['64:ff9b::808:808'],
      'tunnel.example': ['2002:808:808::1']
    })
  })
  await t.rejects(guard.checkHost('[64:ff9b::a9fe:a9fe]', '80'), {
    message: /it is a link-local address \(169\.254\.169\.254 inside a NAT64 address\)/
  })
  await t.rejects(guard.checkHost('[2002:a9fe:a9fe::1]', '80'), {
    message: /it is a link-local address \(169\.254\.169\.254 inside a 6to4 address\)/
  })
  await t.rejects(guard.checkHost('[::ffff:a9fe:a9fe]', '80'), { message: /169\.254\.169\.254 inside an IPv4-mapped address/ })
  await t.rejects(guard.checkHost('nat64.example', '443'), { message: /resolves to 64:ff9b::a9fe:a9fe, a link-local address/ })
  await t.rejects(guard.checkHost('tunnel.example', '443'), { message: /resolves to 2002:808:808::1, a 6to4 address$/ })
  await t.resolves(guard.checkHost('dns64.example', '443'), 'DNS64 on an IPv6-only host: a public IPv4 behind the well-known prefix')
  t.match(guard.refusalForName('2001:db8::1', '443')?.message, /an IETF-reserved address/)
})

function fakeResolver(answers: Record<string, string[]>): (hostname: string) => Promise<LookupAddress[]> {
  return async (hostname) => {
    const addresses = answers[hostname]
    if (addresses === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
}

t.test('checkHost refuses names resolving to private addresses, and metadata names', async (t) => {
  const guard = createSsrfGuard({
    allowedHosts: [],
    resolveAll: fakeResolver({
      'public.example': ['93.184.216.34'],
      'internal.example': ['10.1.2.3'],
      'mixed.example': ['93.184.216.34', '192.168.0.5'],
      'v6.example': ['fd00::5']
    })
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
  const result = await new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
    guard.lookup('rebind.example', { all: true }, (err, address) => resolve({ err, address }))
  )
  t.type(result.err, RefusedHostError)
  t.match(result.err?.message, /169\.254\.169\.254, a link-local address/)
})

t.test('the lookup answers in both dns.lookup shapes and honours the family', async (t) => {
  const guard = createSsrfGuard({ allowedHosts: [], resolveAll: fakeResolver({ 'dual.example': ['2606:4700::1111', '93.184.216.34'] }) })
  const all = await new Promise<unknown>((resolve, reject) =>
    guard.lookup('dual.example', { all: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)))
  )
  t.same(all, [
    { address: '2606:4700::1111', family: 6 },
    { address: '93.184.216.34', family: 4 }
  ])
  const single = await new Promise<[unknown, unknown]>((resolve, reject) =>
    guard.lookup('dual.example', { family: 4 }, (err, address, family) => (err ? reject(err) : resolve([address, family])))
  )
  t.same(single, ['93.184.216.34', 4])
})
