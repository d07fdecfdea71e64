// Refuses registry hosts that resolve to non-public addresses unless an operator allowed them.
// The check runs on the addresses actually connected to (see guarded-connector.ts), so a name that
// resolves to a public address at validation time and to 10.0.0.1 at connect time is still refused.
import { lookup } from 'node:dns/promises'
import type { LookupAddress } from 'node:dns'
import { isIP, type LookupFunction } from 'node:net'
import { createHostList, normaliseHostname, stripBrackets } from './host-list.js'
import { classifyAddress, type ForbiddenAddress } from './ip-ranges.js'

// Names that reach instance metadata services without looking like an IP address.
const METADATA_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.azure.com'
])

export class RefusedHostError extends Error {
  readonly code = 'ERR_REGISTRY_HOST_REFUSED'
  constructor(
    readonly host: string,
    readonly detail: string
  ) {
    super(`refused to connect to ${host}: ${detail}`)
    this.name = 'RefusedHostError'
  }
}

export interface SsrfGuardOptions {
  /** `host` or `host:port` entries that may resolve to private addresses (a registry on the LAN). */
  allowedHosts: readonly string[]
  /** Injected in tests; defaults to the system resolver, all addresses. */
  resolveAll?: (hostname: string) => Promise<LookupAddress[]>
}

export interface SsrfGuard {
  isAllowed(hostname: string, port: string): boolean
  /** Refusal decidable without DNS: metadata names and literal addresses. */
  refusalForName(hostname: string, port: string): RefusedHostError | undefined
  /** Full check, resolving the name; throws RefusedHostError. */
  checkHost(hostname: string, port: string): Promise<void>
  /** A net/tls `lookup` that fails when any resolved address is forbidden. */
  lookup: LookupFunction
}

function refusalForAddresses(hostname: string, addresses: readonly LookupAddress[]): RefusedHostError | undefined {
  if (addresses.length === 0) return new RefusedHostError(hostname, 'the name resolved to no address')
  for (const { address } of addresses) {
    const forbidden = classifyAddress(address)
    // Any forbidden answer refuses the host: a public name with a private record is suspicious.
    if (forbidden !== undefined) return new RefusedHostError(hostname, `it resolves to ${address}, ${describe(forbidden)}`)
  }
  return undefined
}

function refusalForLiteral(hostname: string, address: string): RefusedHostError | undefined {
  const forbidden = classifyAddress(address)
  return forbidden === undefined ? undefined : new RefusedHostError(hostname, `it is ${describe(forbidden)}`)
}

// "a link-local address", or "a link-local address (169.254.169.254 inside a NAT64 address)".
function describe({ kind, embedded }: ForbiddenAddress): string {
  const what = `${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind} address`
  return embedded === undefined ? what : `${what} (${embedded.ipv4} inside ${embedded.in} address)`
}

export function createSsrfGuard(options: SsrfGuardOptions): SsrfGuard {
  const allowed = createHostList(options.allowedHosts)
  const resolveAll = options.resolveAll ?? ((hostname: string) => lookup(hostname, { all: true, verbatim: true }))

  const refusalForName = (hostname: string, port: string): RefusedHostError | undefined => {
    if (allowed.has(hostname, port)) return undefined
    const name = normaliseHostname(hostname)
    const bare = stripBrackets(name)
    if (METADATA_HOSTNAMES.has(name)) return new RefusedHostError(name, 'it is a cloud metadata host name')
    if (name === 'localhost' || name.endsWith('.localhost')) return new RefusedHostError(name, 'it is a loopback name')
    return isIP(bare) !== 0 ? refusalForLiteral(name, bare) : undefined
  }

  const lookupFn: LookupFunction = (hostname, lookupOptions, callback) => {
    resolveAll(hostname).then(
      (addresses) => {
        const refusal = refusalForAddresses(hostname, addresses)
        if (refusal !== undefined) return callback(refusal, '')
        // Respect the family the socket asked for, as dns.lookup would.
        const wanted =
          lookupOptions.family === 4 || lookupOptions.family === 6 ? addresses.filter((a) => a.family === lookupOptions.family) : addresses
        const first = wanted[0]
        if (lookupOptions.all === true) return callback(null, wanted)
        if (first === undefined) {
          return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '')
        }
        callback(null, first.address, first.family)
      },
      (error: NodeJS.ErrnoException) => callback(error, '')
    )
  }

  return {
    isAllowed: (hostname, port) => allowed.has(hostname, port),
    refusalForName,
    async checkHost(hostname, port) {
      const refusal = refusalForName(hostname, port)
      if (refusal !== undefined) throw refusal
      const bare = stripBrackets(hostname)
      if (allowed.has(hostname, port) || isIP(bare) !== 0) return
      const addressRefusal = refusalForAddresses(normaliseHostname(hostname), await resolveAll(bare))
      if (addressRefusal !== undefined) throw addressRefusal
    },
    lookup: lookupFn
  }
}
