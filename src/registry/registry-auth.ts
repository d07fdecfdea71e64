// Turns the registry's challenges into an Authorization header: Bearer tokens from the realm
// (anonymous or with Basic credentials), or Basic on every request. The credential goes only to
// hosts it is bound to: a realm elsewhere is asked anonymously, whatever the registry advertises.
import type { Challenge } from './www-authenticate.js'
import { findChallenge } from './www-authenticate.js'
import type { HttpResponse, HttpTransport } from './http-transport.js'
import type { TokenCache } from './token-cache.js'
import { tokenCacheKey } from './token-cache.js'
import { isBoundUrl } from './registry-host.js'

export interface Credential {
  username: string
  password: string
  /** The registry hosts it is for (normalised, see normaliseRegistryHost); it is sent nowhere else. */
  registries: readonly string[]
}
/** The same login pair under the name the rest of the service knows it by. */
export type RegistryLogin = Credential

/** Built by hand: `robot$project+name` or `_json_key` usernames must survive, and URLs never carry credentials. */
export function basicAuthorization(credential: Pick<Credential, 'username' | 'password'>): string {
  return `Basic ${Buffer.from(`${credential.username}:${credential.password}`, 'utf8').toString('base64')}`
}

/** A non-success answer; classify.ts turns it into an outcome. */
export class UnexpectedStatusError extends Error {
  constructor(
    readonly phase: 'ping' | 'token' | 'manifest' | 'config',
    readonly response: HttpResponse
  ) {
    super(`${phase} request to ${response.url.host} answered HTTP ${response.status}`)
    this.name = 'UnexpectedStatusError'
  }
}

export class TokenResponseError extends Error {
  constructor(
    readonly host: string,
    problem: string
  ) {
    super(`token service at ${host} ${problem}`)
    this.name = 'TokenResponseError'
  }
}

/** A refusal from a registry or token service the credential was not sent to, because it is not bound to that host. */
export class CredentialWithheldError extends Error {
  constructor(
    readonly host: string,
    readonly registries: readonly string[],
    cause: UnexpectedStatusError
  ) {
    super(`${host} is not among the credential's registries`, { cause })
    this.name = 'CredentialWithheldError'
  }
}

export interface RegistryAuthOptions {
  transport: HttpTransport
  tokenCache: TokenCache
  registry: string
  /** The registry's base URL: Basic credentials go to it only if it is a bound host. */
  base: URL
  credential: Credential | undefined
  signal: AbortSignal
}

export class RegistryAuth {
  private challenge: Challenge | undefined
  /** The host a credential was held back from, if any: it explains a refusal that follows. */
  withheldFrom: string | undefined

  constructor(private readonly options: RegistryAuthOptions) {}

  /** The credential if `url` is one of its hosts; otherwise undefined, and the host is remembered. */
  private credentialFor(url: URL): Credential | undefined {
    const { credential } = this.options
    if (credential === undefined) return undefined
    if (isBoundUrl(credential.registries, url)) return credential
    this.withheldFrom = url.host
    return undefined
  }

  /** Picks the scheme to use from a 401's challenges; false when none is usable. */
  adopt(challenges: Challenge[]): boolean {
    const bearer = findChallenge(challenges, 'bearer')
    const chosen = bearer?.params.realm !== undefined ? bearer : findChallenge(challenges, 'basic')
    if (chosen !== undefined) this.challenge = chosen
    return chosen !== undefined
  }

  /** The header for `scope`; `fresh` skips the cache after the registry rejected a cached token. */
  async authorization(scope: string, fresh = false): Promise<string | undefined> {
    if (this.challenge?.scheme === 'basic') {
      const credential = this.credentialFor(this.options.base)
      return credential ? basicAuthorization(credential) : undefined
    }
    if (this.challenge?.scheme !== 'bearer') return undefined
    const realm = this.challenge.params.realm ?? ''
    const service = this.challenge.params.service
    let url: URL
    try {
      url = new URL(realm)
    } catch {
      throw new TokenResponseError(this.options.registry, `is advertised with an unusable realm "${realm}"`)
    }
    const credential = this.credentialFor(url)
    const key = tokenCacheKey({ registry: this.options.registry, realm, service, scope, credential })
    const cached = fresh ? undefined : this.options.tokenCache.get(key)
    if (cached !== undefined) return `Bearer ${cached}`
    const { token, expiresIn } = await this.fetchToken(url, service, scope, credential)
    this.options.tokenCache.set(key, token, expiresIn)
    return `Bearer ${token}`
  }

  private async fetchToken(
    realm: URL,
    service: string | undefined,
    scope: string,
    credential: Credential | undefined
  ): Promise<{ token: string; expiresIn?: number }> {
    const url = new URL(realm)
    // Some flows (GCR) send no service; a challenge scope may hold several space-separated scopes.
    if (service !== undefined) url.searchParams.set('service', service)
    for (const part of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', part)
    const response = await this.options.transport({
      method: 'GET',
      url,
      accept: 'application/json',
      authorization: credential ? basicAuthorization(credential) : undefined,
      readBody: true,
      signal: this.options.signal
    })
    if (response.status !== 200 || response.body === undefined) throw new UnexpectedStatusError('token', response)
    let doc: unknown
    try {
      doc = JSON.parse(response.body.toString('utf8'))
    } catch {
      doc = undefined
    }
    const fields = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>) : {}
    const token = typeof fields.token === 'string' && fields.token !== '' ? fields.token : fields.access_token
    if (typeof token !== 'string' || token === '') throw new TokenResponseError(url.host, 'answered without a token')
    return typeof fields.expires_in === 'number' ? { token, expiresIn: fields.expires_in } : { token }
  }
}
