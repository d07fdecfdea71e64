// Address ranges a registry check must never reach on its own: an image reference is user input,
// and without this a reference like `169.254.169.254/latest:x` would turn the service into a proxy
// to cloud metadata and internal networks.
import { BlockList, isIP } from 'node:net'

type Range = readonly [address: string, prefix: number, family: 'ipv4' | 'ipv6']

const RANGES: Record<string, readonly Range[]> = {
  unspecified: [['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']],
  loopback: [['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']],
  private: [['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['fc00::', 7, 'ipv6'],
    ['fec0::', 10, 'ipv6']], // fec0::/10: deprecated site-local, still unroutable,
  'link-local': [['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']],
  'carrier-grade NAT': [['100.64.0.0', 10, 'ipv4']],
  'IETF-reserved': [['192.0.0.0', 24, 'ipv4'], ['198.18.0.0', 15, 'ipv4'], ['240.0.0.0', 4, 'ipv4']],
  multicast: [['224.0.0.0', 4, 'ipv4'], ['ff00::', 8, 'ipv6']]
}

// One list per kind so a refusal can say which kind of address it saw. Node's BlockList also
// matches IPv4-mapped IPv6 (::ffff:10.0.0.1) against the IPv4 rules.
const LISTS = Object.entries(RANGES).map(([kind, ranges]) => {
  const list = new BlockList()
  for (const [address, prefix, family] of ranges) list.addSubnet(address, prefix, family)
  return { kind, list }
})

/** The kind of non-public range the address is in, or undefined for a public address. */
export function forbiddenAddressKind (address: string): string | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const family = isIP(bare)
  if (family === 0) return 'malformed'
  return LISTS.find(({ list }) => list.check(bare, family === 4 ? 'ipv4' : 'ipv6'))?.kind
}
