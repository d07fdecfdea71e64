/**
 * A Docker-style token service for the rig's `auth: 'token'` registry. Known users (HTTP Basic) get
 * `pull` and `push`; anonymous callers get a token with no actions (so the registry answers
 * `insufficient_scope`, as Docker Hub does for private images) unless the repository is listed in
 * `anonymousPull`. Wrong credentials get a 401. Every request is recorded for assertions.
 */
import { createServer } from 'node:http'
import { listenLocal } from './listen.js'
import type { RepositoryAccess, TokenIssuer } from './token-issuer.js'

export interface RigUser {
  username: string
  password: string
}

export interface TokenRequestRecord {
  /** undefined for anonymous requests */
  username: string | undefined
  scopes: string[]
  status: number
}

export interface TokenServer {
  host: string
  url: string
  /** The realm to configure in the registry. */
  realm: string
  requests: TokenRequestRecord[]
  close(): Promise<void>
}

export interface TokenServerOptions {
  issuer: TokenIssuer
  issuerName: string
  service: string
  users: RigUser[]
  anonymousPull?: string[]
  lifetimeSeconds?: number
}

function basicCredentials(header: string | undefined): RigUser | undefined {
  if (header === undefined || !header.startsWith('Basic ')) return undefined
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const requests: TokenRequestRecord[] = []
  const lifetimeSeconds = options.lifetimeSeconds ?? 300

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://token.invalid')
    const scopes = url.searchParams.getAll('scope')
    const presented = basicCredentials(req.headers.authorization)
    const user =
      presented === undefined
        ? undefined
        : options.users.find((u) => u.username === presented.username && u.password === presented.password)
    const reply = (status: number, body: object): void => {
      requests.push({ username: presented?.username, scopes, status })
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    if (url.pathname !== '/token') return reply(404, { errors: [{ code: 'NOT_FOUND' }] })
    if (presented !== undefined && user === undefined) {
      res.setHeader('www-authenticate', 'Basic realm="registry-rig-token"')
      return reply(401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] })
    }
    const access: RepositoryAccess[] = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':')
      if (type !== 'repository' || name === undefined || actions === undefined) return []
      const allowed = user !== undefined ? ['pull', 'push', 'delete'] : options.anonymousPull?.includes(name) === true ? ['pull'] : []
      return [{ type: 'repository' as const, name, actions: actions.split(',').filter((a) => allowed.includes(a)) }]
    })
    const token = options.issuer.issue({
      issuer: options.issuerName,
      audience: options.service,
      subject: user?.username ?? '',
      access,
      lifetimeSeconds
    })
    reply(200, { token, access_token: token, expires_in: lifetimeSeconds, issued_at: new Date().toISOString() })
  })
  const listening = await listenLocal(server)
  return { host: listening.host, url: listening.url, realm: `${listening.url}/token`, requests, close: listening.close }
}
