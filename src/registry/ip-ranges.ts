// Address ranges a registry check must never reach on its own: an image reference is user input,
// and without this a reference like `169.254.169.254/latest:x` would turn the service into a proxy
// to cloud metadata and internal networks. The ranges are ipaddr.js's (kept in step with the IANA
// special-purpose registries); only what it calls 'unicast' is public.
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

type IPv4 = ipaddr.IPv4
type IPv6 = ipaddr.IPv6

// ipaddr.js range names in the words a refusal uses. A name missing here (a newer ipaddr.js) is
// refused under its own name: nothing but 'unicast' is ever allowed.
const KINDS: Record<string, string> = {
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  private: 'private',
  uniqueLocal: 'private',
  deprecatedSiteLocal: 'private', // fec0::/10, deprecated but still unroutable
  carrierGradeNat: 'carrier-grade NAT',
  reserved: 'IETF-reserved', // documentation, benchmarking, 6to4 relay anycast, 240/4, 2001::/23, 3fff::/20
  benchmarking: 'IETF-reserved',
  droneRemoteIdProtocolEntityTags: 'IETF-reserved',
  orchid2: 'ORCHID',
  deprecatedOrchid: 'ORCHID',
  discard: 'discard-only',
  segmentRouting: 'segment-routing',
  as112: 'AS112 anycast',
  as112v6: 'AS112 anycast',
  amt: 'AMT anycast',
  rfc6052: 'NAT64',
  rfc6145: 'IPv4-translated',
  '6to4': '6to4',
  teredo: 'Teredo'
}

export interface ForbiddenAddress {
  /** The kind of range, as a refusal names it: 'link-local', 'private', '6to4', … */
  kind: string
  /** For an IPv6 address carrying an IPv4 one: that address and the form that carries it. */
  embedded?: { ipv4: string; in: string }
}

/** Why the address is not public, or undefined for a public unicast address. */
export function classifyAddress(address: string): ForbiddenAddress | undefined {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  // node:net first: ipaddr.js also reads shorthand IPv4 forms (`127.1`, `0x7f000001`) no resolver returns.
  const family = isIP(bare)
  if (family === 0) return { kind: 'malformed' }
  return family === 4 ? ipv4Refusal(ipaddr.IPv4.parse(bare)) : ipv6Refusal(ipaddr.IPv6.parse(hexTail(bare)))
}

// ipaddr.js reads the dotted form `::a.b.c.d` as IPv4-mapped; in hex it is read for what it is.
function hexTail(ipv6: string): string {
  return ipv6.replace(
    /(\d+)\.(\d+)\.(\d+)\.(\d+)$/,
    (_, a: string, b: string, c: string, d: string) =>
      `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`
  )
}

/** The kind of non-public range the address is in, or undefined for a public address. */
export function forbiddenAddressKind(address: string): string | undefined {
  return classifyAddress(address)?.kind
}

function ipv4Refusal(ip: IPv4): ForbiddenAddress | undefined {
  const range = ip.range()
  return range === 'unicast' ? undefined : { kind: KINDS[range] ?? range }
}

// IPv6 forms that carry an IPv4 address. Whatever the form, a non-public IPv4 inside is refused
// under its own kind (so `64:ff9b::a9fe:a9fe` reads as link-local). A public IPv4 is allowed only
// in the two forms a real host produces for a public IPv4 peer: IPv4-mapped (a dual-stack socket)
// and NAT64's well-known prefix (DNS64 on an IPv6-only network; RFC 6052 §3.1 forbids it for
// non-global IPv4). The others are refused whatever they carry: IPv4-compatible is deprecated
// (RFC 4291), IPv4-translated is internal to a SIIT translator, 6to4 and Teredo are obsolete
// tunnels (RFC 7526) whose far end the service cannot vouch for, and NAT64's local-use prefix
// (64:ff9b:1::/48, RFC 8215) belongs to a private translator whose prefix length we cannot know.
interface Embedding {
  name: string
  publicAllowed: boolean
  ipv4s: IPv4[]
}

function embedding(ip: IPv6, range: string): Embedding | undefined {
  const p = ip.parts
  const v4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
  switch (range) {
    case 'ipv4Mapped':
      return { name: 'an IPv4-mapped', publicAllowed: true, ipv4s: [v4(p[6]!, p[7]!)] }
    case 'rfc6052':
      // The well-known prefix is a /96; the local-use /48 is refused below as a whole.
      return p[2] === 0 ? { name: 'a NAT64', publicAllowed: true, ipv4s: [v4(p[6]!, p[7]!)] } : undefined
    case 'rfc6145':
      return { name: 'an IPv4-translated', publicAllowed: false, ipv4s: [v4(p[6]!, p[7]!)] }
    case '6to4':
      return { name: 'a 6to4', publicAllowed: false, ipv4s: [v4(p[1]!, p[2]!)] }
    case 'teredo':
      // Server in bits 32–63, client (obfuscated: inverted) in the last 32 bits.
      return { name: 'a Teredo', publicAllowed: false, ipv4s: [v4(~p[6]! & 0xffff, ~p[7]! & 0xffff), v4(p[2]!, p[3]!)] }
    case 'unicast':
      // IPv4-compatible ::a.b.c.d (:: and ::1 have their own ranges).
      return p.slice(0, 6).every((part) => part === 0)
        ? { name: 'an IPv4-compatible', publicAllowed: false, ipv4s: [v4(p[6]!, p[7]!)] }
        : undefined
    default:
      return undefined
  }
}

function ipv6Refusal(ip: IPv6): ForbiddenAddress | undefined {
  const range = ip.range()
  const carried = embedding(ip, range)
  if (carried) {
    for (const ipv4 of carried.ipv4s) {
      const inner = ipv4Refusal(ipv4)
      if (inner) return { kind: inner.kind, embedded: { ipv4: ipv4.toString(), in: carried.name } }
    }
    if (carried.publicAllowed) return undefined
    return { kind: range === 'unicast' ? 'IPv4-compatible' : (KINDS[range] ?? range) }
  }
  if (range === 'rfc6052') return { kind: 'local-use NAT64' }
  if (range !== 'unicast') return { kind: KINDS[range] ?? range }
  // Outside 2000::/3 nothing is allocated for global unicast (IANA IPv6 address space).
  return (ip.parts[0]! & 0xe000) === 0x2000 ? undefined : { kind: 'IETF-reserved' }
}
