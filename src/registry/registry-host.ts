// The registry hosts a credential is bound to, and the one rule that decides whether a request may
// carry it. A credential is only ever sent where its owner said it belongs: never to a host that an
// image reference, a token realm or a redirect happens to name.
import { urlHostPort } from './host-list.js'

export const DOCKER_HUB = 'docker.io'

// Docker Hub answers under several names; a credential for "docker.io" is meant for all of them
// (the v2 API on registry-1, the token service on auth), and for nothing else.
const DOCKER_HUB_ALIASES = new Set(['', 'docker.io', 'index.docker.io', 'registry-1.docker.io'])
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'auth.docker.io'])

export const SINGLE_LABEL_HINT = "use the registry's full host name, e.g. harbor.example.com, or host:port; for Docker Hub use docker.io"

/** `true` for `harbor`: no dot, no port, not an IP literal; Docker itself would read it as a Docker Hub namespace. */
export function isSingleLabelHost(host: string): boolean {
  return !host.includes('.') && !host.includes(':') && !host.startsWith('[') && host !== 'localhost'
}

/** Docker Hub under its one name, everything else as written (already lower case). */
export function canonicalRegistry(host: string): string {
  return DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host
}

/**
 * Whether a request to `url` may carry a credential bound to `registries`. An entry without a port
 * stands for the scheme's default port only; `host:port` for that port. Pure.
 */
export function isBoundUrl(registries: readonly string[], url: URL): boolean {
  const { port } = urlHostPort(url)
  const hostname = url.hostname.toLowerCase().replace(/\.$/, '')
  const explicitPort = url.port !== ''
  return registries.some((entry) => {
    if (entry === DOCKER_HUB) return !explicitPort && DOCKER_HUB_HOSTS.has(hostname)
    return entry === `${hostname}:${port}` || (!explicitPort && entry === hostname)
  })
}

/** Whether a version on `registry` (normalised, as stored) may be pulled with a credential bound to `registries`. */
export function isBoundRegistry(registries: readonly string[], registry: string): boolean {
  return registries.includes(canonicalRegistry(registry.toLowerCase()))
}
