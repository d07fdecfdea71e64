// Operator-configured host lists (REGISTRY_INSECURE_HOSTS, REGISTRY_ALLOWED_PRIVATE_HOSTS). An entry is `host` (any port)
// or `host:port`; IPv6 hosts are written in brackets, `[fd00::1]:5000`, as in a reference.

export interface HostList {
  has(hostname: string, port: string): boolean
}

export function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname
}

function bracketed(hostname: string): string {
  const bare = stripBrackets(hostname)
  return bare.includes(':') ? `[${bare}]` : bare
}

/** Hostnames are case-insensitive and `a.example.` is `a.example`. */
export function normaliseHostname(hostname: string): string {
  return bracketed(hostname.toLowerCase().replace(/\.$/, ''))
}

export function defaultPort(protocol: string): string {
  return protocol === 'http:' ? '80' : '443'
}

export function createHostList(entries: readonly string[]): HostList {
  const set = new Set(
    entries.map((entry) => {
      const text = entry.trim().toLowerCase()
      // A bare IPv6 address has several colons and no port.
      return text.split(':').length > 2 && !text.startsWith('[') ? `[${text}]` : text
    })
  )
  return {
    has(hostname, port) {
      const host = normaliseHostname(hostname)
      return set.has(host) || set.has(`${host}:${port}`)
    }
  }
}

/** The hostname and effective port of a URL, for matching against a host list. */
export function urlHostPort(url: URL): { hostname: string; port: string } {
  return { hostname: stripBrackets(url.hostname), port: url.port || defaultPort(url.protocol) }
}
