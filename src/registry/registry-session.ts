// One check's conversation with one registry: the /v2/ ping that reveals the auth scheme, then
// authenticated requests with a single retry when the registry asks for a new token or scope.
import type { HttpResponse, HttpTransport } from './http-transport.js'
import { urlHostPort, type HostList } from './host-list.js'
import { CredentialWithheldError, RegistryAuth, UnexpectedStatusError } from './registry-auth.js'
import type { Credential } from './registry-auth.js'
import type { ImageReference } from './reference.js'
import type { TokenCache } from './token-cache.js'
import { parseWwwAuthenticate } from './www-authenticate.js'

export interface SessionOptions {
  transport: HttpTransport
  tokenCache: TokenCache
  /** `https://host[:port]` or, for insecure hosts, `http://…`. */
  base: URL
  credential: Credential | undefined
  signal: AbortSignal
}

export interface SessionRequest {
  method: 'GET' | 'HEAD'
  path: string
  scope: string
  accept?: string
  readBody?: boolean
}

export class RegistrySession {
  private readonly auth: RegistryAuth

  constructor(private readonly options: SessionOptions) {
    this.auth = new RegistryAuth({
      transport: options.transport,
      tokenCache: options.tokenCache,
      registry: options.base.host,
      base: options.base,
      credential: options.credential,
      signal: options.signal
    })
  }

  /** The host the credential was held back from because it is not bound to it, if any. */
  get withheldFrom(): string | undefined {
    return this.auth.withheldFrom
  }

  /** 200 means open, 401 tells how to authenticate; anything else means no usable registry. */
  async ping(): Promise<void> {
    const response = await this.send('GET', '/v2/', undefined)
    if (response.status === 401) this.auth.adopt(parseWwwAuthenticate(response.headers['www-authenticate']))
    else if (response.status !== 200) throw new UnexpectedStatusError('ping', response)
  }

  async request(req: SessionRequest): Promise<HttpResponse> {
    const sent = await this.auth.authorization(req.scope)
    const response = await this.send(req.method, req.path, sent, req)
    if (response.status !== 401) return response
    // A registry may open /v2/ to everyone but guard repositories, or want a token for another
    // scope (or a fresh one): follow its challenge once, then let the 401 stand.
    const challenges = parseWwwAuthenticate(response.headers['www-authenticate'])
    if (!this.auth.adopt(challenges)) return response
    const bearer = challenges.find((c) => c.scheme === 'bearer')
    const retry = await this.auth.authorization(bearer?.params.scope ?? req.scope, true)
    if (retry === undefined || retry === sent) return response
    return this.send(req.method, req.path, retry, req)
  }

  private async send(
    method: 'GET' | 'HEAD',
    path: string,
    authorization: string | undefined,
    extra: Partial<SessionRequest> = {}
  ): Promise<HttpResponse> {
    return this.options.transport({
      method,
      url: new URL(path, this.options.base),
      accept: extra.accept,
      authorization,
      readBody: extra.readBody,
      signal: this.options.signal
    })
  }
}

/** What every conversation with a registry needs: the transport, the token cache, the plain-http hosts. */
export interface SessionDependencies {
  transport: HttpTransport
  tokenCache: TokenCache
  insecureHosts: HostList
}

/** https unless the operator listed the host as insecure (plain http, as docker's insecure-registries). */
export function registryBaseUrl(apiHost: string, insecureHosts: HostList): URL {
  const plain = new URL(`http://${apiHost}/`)
  const { hostname, port } = urlHostPort(plain)
  return insecureHosts.has(hostname, port) ? plain : new URL(`https://${apiHost}/`)
}

/**
 * Runs `work` in a session with the registry of `ref`. A refusal after the credential was held back
 * (it is not bound to this host) is explained by that, not by the credential.
 */
export async function withSession<T>(
  deps: SessionDependencies,
  ref: ImageReference,
  credential: Credential | undefined,
  signal: AbortSignal,
  work: (session: RegistrySession) => Promise<T>
): Promise<T> {
  const session = new RegistrySession({
    transport: deps.transport,
    tokenCache: deps.tokenCache,
    base: registryBaseUrl(ref.apiHost, deps.insecureHosts),
    credential,
    signal
  })
  try {
    return await work(session)
  } catch (error) {
    const refused = error instanceof UnexpectedStatusError && (error.response.status === 401 || error.response.status === 403)
    if (refused && credential !== undefined && session.withheldFrom !== undefined) {
      throw new CredentialWithheldError(session.withheldFrom, credential.registries, error)
    }
    throw error
  }
}
