// Image references, parsed and validated before anything is sent: the registry answers a malformed
// digest with a 500 and an upper-case name with a plain-text 404, neither of which says what is wrong.
import { canonicalRegistry, DOCKER_HUB, isSingleLabelHost, SINGLE_LABEL_HINT } from './registry-host.js'

export { DOCKER_HUB }

const ALNUM = '[a-z0-9]+'
const SEPARATOR = '(?:[._]|__|-+)'
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'

// Anchored strings rather than RegExp objects so JSON-schema `pattern` keywords can reuse them.
export const REPOSITORY_PATTERN = `^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`
export const TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$'
export const DIGEST_PATTERN = '^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$'
export const REGISTRY_HOST_PATTERN = `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:.]+\\])(?::[0-9]{1,5})?$`

const REPOSITORY_RE = new RegExp(REPOSITORY_PATTERN)
const TAG_RE = new RegExp(TAG_PATTERN)
const DIGEST_RE = new RegExp(DIGEST_PATTERN)
const REGISTRY_RE = new RegExp(REGISTRY_HOST_PATTERN)
const NAME_MAX_LENGTH = 255

const DOCKER_HUB_API_HOST = 'registry-1.docker.io'

export interface ImageReference {
  /** Normalised registry host (`docker.io` for Docker Hub), lower case, with port if any. */
  registry: string
  /** The host the v2 API is served from (`registry-1.docker.io` for Docker Hub). */
  apiHost: string
  repository: string
  tag?: string
  digest?: string
}

export interface ReferenceParts {
  registry?: string
  repository: string
  tag?: string
  digest?: string
}

export class InvalidReferenceError extends Error {
  constructor(
    readonly input: string,
    readonly problem: string
  ) {
    super(`invalid image reference "${input}": ${problem}`)
    this.name = 'InvalidReferenceError'
  }
}

/** Parses `[registry/]repository[:tag][@digest]` the way the distribution reference grammar does. */
export function parseReference(input: string): ImageReference {
  let rest = input
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
  }
  // A colon before the last slash belongs to a registry port, not to a tag.
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
  }
  const slash = rest.indexOf('/')
  const first = slash >= 0 ? rest.slice(0, slash) : ''
  const hasRegistry = first.includes('.') || first.includes(':') || first === 'localhost'
  return normalise(input, {
    registry: hasRegistry ? first : undefined,
    repository: hasRegistry ? rest.slice(slash + 1) : rest,
    tag,
    digest
  })
}

/** For callers holding the parts separately (forms, database rows); same validation as parsing. */
export function buildReference(parts: ReferenceParts): ImageReference {
  const shown =
    `${parts.registry ? `${parts.registry}/` : ''}${parts.repository}` +
    `${parts.tag !== undefined ? `:${parts.tag}` : ''}${parts.digest !== undefined ? `@${parts.digest}` : ''}`
  return normalise(shown, parts)
}

// The grammar's shape lets through a port above 65535 or brackets around something that is no
// IPv6 address; the URL parser (what the client will use) refuses those, so refuse them here, as a
// 400 at submission rather than a check that fails later as if the registry were down.
function isUrlHost(registry: string): boolean {
  try {
    return new URL(`https://${registry}/`).host !== ''
  } catch {
    return false
  }
}

export class InvalidRegistryHostError extends Error {
  constructor(
    readonly host: string,
    readonly problem: string
  ) {
    super(`"${host}" ${problem}`)
    this.name = 'InvalidRegistryHostError'
  }
}

/**
 * A registry host as stored and compared: lower case, Docker Hub as `docker.io` (from '',
 * index.docker.io, registry-1.docker.io), `host[:port]`, IPv6 in brackets in its shortest form.
 * A single label without a port is refused: Docker reads `harbor/app` as a Docker Hub namespace, so
 * a credential or version meant for an internal `harbor` would end up on Docker Hub.
 */
export function normaliseRegistryHost(input: string): string {
  let host = canonicalRegistry(input.toLowerCase())
  if (!REGISTRY_RE.test(host) || !isUrlHost(host)) throw new InvalidRegistryHostError(input, 'is not a valid registry host')
  if (isSingleLabelHost(host)) throw new InvalidRegistryHostError(input, `is a single name without a dot or port; ${SINGLE_LABEL_HINT}`)
  if (host.startsWith('[')) {
    const end = host.indexOf(']')
    host = `${new URL(`https://${host.slice(0, end + 1)}/`).hostname}${host.slice(end + 1)}`
  }
  return host
}

function normalise(input: string, parts: ReferenceParts): ImageReference {
  let registry: string
  try {
    registry = normaliseRegistryHost(parts.registry ?? '')
  } catch (error) {
    if (!(error instanceof InvalidRegistryHostError)) throw error
    throw new InvalidReferenceError(input, error.message)
  }
  let repository = parts.repository
  if (repository !== repository.toLowerCase()) {
    throw new InvalidReferenceError(input, 'the repository name must be lower case')
  }
  if (!REPOSITORY_RE.test(repository)) {
    throw new InvalidReferenceError(input, `"${repository}" is not a valid repository name`)
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`
  if (`${registry}/${repository}`.length > NAME_MAX_LENGTH) {
    throw new InvalidReferenceError(input, `the name is longer than ${NAME_MAX_LENGTH} characters`)
  }
  if (parts.tag !== undefined && !TAG_RE.test(parts.tag)) {
    throw new InvalidReferenceError(input, `"${parts.tag}" is not a valid tag`)
  }
  if (parts.digest !== undefined && !DIGEST_RE.test(parts.digest)) {
    throw new InvalidReferenceError(input, `"${parts.digest}" is not a valid sha256/sha512 digest`)
  }
  const ref: ImageReference = {
    registry,
    apiHost: registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry,
    repository
  }
  if (parts.tag !== undefined) ref.tag = parts.tag
  if (parts.digest !== undefined) ref.digest = parts.digest
  return ref
}

/** `registry/repository:tag`, or the digest form when the reference has no tag. */
export function formatReference(ref: ImageReference): string {
  const name = `${ref.registry}/${ref.repository}`
  if (ref.tag !== undefined) return `${name}:${ref.tag}`
  return ref.digest !== undefined ? `${name}@${ref.digest}` : name
}

/** `registry/repository@sha256:…`: what a job should pull so a re-pushed tag cannot change it. */
export function formatPinned(ref: ImageReference, digest: string | undefined = ref.digest): string {
  if (digest === undefined || !DIGEST_RE.test(digest)) {
    throw new InvalidReferenceError(formatReference(ref), 'a pinned reference needs a valid digest')
  }
  return `${ref.registry}/${ref.repository}@${digest}`
}
