/**
 * A proxy in front of a rig registry that injects the faults a real registry will not produce on
 * demand. Modes (switchable at runtime with `setMode`):
 * - `pass`: forward everything unchanged;
 * - `rate-limit`: manifest requests get 429 with `Retry-After` (`retryAfter` option, default `7`);
 * - `strip-digest`: HEAD manifest answers lose `Docker-Content-Digest` (as ECR and static registries);
 * - `unavailable`: 503 on everything;
 * - `redirect`: manifest requests get a 307 to a second listener (another origin) that records the
 *   headers it receives, then serves the request with a one-time ticket in the URL, as a pre-signed
 *   blob-store URL would;
 * - `hang`: accept requests and never answer (for timeouts).
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomUUID } from 'node:crypto'
import { listenLocal } from './listen.js'

export type FaultMode = 'pass' | 'rate-limit' | 'strip-digest' | 'unavailable' | 'redirect' | 'hang'

export interface FaultProxyOptions {
  mode?: FaultMode
  /** The Retry-After value sent in `rate-limit` mode: seconds or an HTTP date. */
  retryAfter?: string
}

export interface RedirectTargetRecord {
  method: string
  path: string
  authorization: string | undefined
}

export interface FaultProxy {
  /** `127.0.0.1:PORT`: use it as the registry host in references. */
  host: string
  url: string
  mode: FaultMode
  setMode(mode: FaultMode, options?: { retryAfter?: string }): void
  /** Requests the proxy received: method, path and the mode it applied. */
  requests: { method: string; path: string; mode: FaultMode }[]
  /** The second origin used by `redirect` mode. */
  redirectTarget: { host: string; url: string; requests: RedirectTargetRecord[] }
  /** Every host:port of the proxy, for a client's insecureHosts / allowedPrivateHosts. */
  hosts: string[]
  stop(): Promise<void>
}

const MANIFEST_PATH = /^\/v2\/.+\/manifests\/[^/]+$/

function forward(
  target: URL,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  headers: IncomingMessage['headers'],
  edit?: (headers: IncomingMessage['headers']) => void
): void {
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path,
      headers: { ...headers, host: target.host }
    },
    (answer) => {
      const answerHeaders = { ...answer.headers }
      edit?.(answerHeaders)
      res.writeHead(answer.statusCode ?? 502, answerHeaders)
      answer.pipe(res)
    }
  )
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502).end()
    else res.destroy()
  })
  req.pipe(upstream)
}

export async function startFaultProxy(target: { url: string } | string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const targetUrl = new URL(typeof target === 'string' ? target : target.url)
  let retryAfter = options.retryAfter ?? '7'
  const tickets = new Map<string, string | undefined>()
  const redirectRecords: RedirectTargetRecord[] = []

  const redirectServer = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://redirect.invalid')
    redirectRecords.push({ method: req.method ?? '', path: url.pathname, authorization: req.headers.authorization })
    const ticket = url.searchParams.get('ticket') ?? ''
    if (!tickets.has(ticket)) return void res.writeHead(403).end()
    // The ticket stands in for a pre-signed URL: it carries the right to read, not a header.
    const { authorization: _dropped, ...headers } = req.headers
    const granted = tickets.get(ticket)
    forward(targetUrl, req, res, url.pathname, granted === undefined ? headers : { ...headers, authorization: granted })
  })
  const redirectListening = await listenLocal(redirectServer)

  const proxy: FaultProxy = {
    host: '',
    url: '',
    mode: options.mode ?? 'pass',
    setMode(mode, modeOptions) {
      proxy.mode = mode
      if (modeOptions?.retryAfter !== undefined) retryAfter = modeOptions.retryAfter
    },
    requests: [],
    redirectTarget: { host: redirectListening.host, url: redirectListening.url, requests: redirectRecords },
    hosts: [],
    stop: async () => {}
  }

  const server = createServer((req, res) => {
    const path = req.url ?? '/'
    const mode = proxy.mode
    const isManifest = MANIFEST_PATH.test(new URL(path, 'http://proxy.invalid').pathname)
    proxy.requests.push({ method: req.method ?? '', path, mode })
    if (mode === 'hang') return
    if (mode === 'unavailable') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('maintenance')
    if (mode === 'rate-limit' && isManifest) {
      const body = JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'rate limit exceeded' }] })
      return void res
        .writeHead(429, { 'content-type': 'application/json', 'retry-after': retryAfter })
        .end(req.method === 'HEAD' ? undefined : body)
    }
    if (mode === 'redirect' && isManifest) {
      const ticket = randomUUID()
      tickets.set(ticket, req.headers.authorization)
      return void res.writeHead(307, { location: `${redirectListening.url}${path}?ticket=${ticket}` }).end()
    }
    forward(
      targetUrl,
      req,
      res,
      path,
      req.headers,
      mode === 'strip-digest' && isManifest && req.method === 'HEAD'
        ? (headers) => {
            delete headers['docker-content-digest']
          }
        : undefined
    )
  })
  const listening = await listenLocal(server)
  proxy.host = listening.host
  proxy.url = listening.url
  proxy.hosts = [listening.host, redirectListening.host]
  proxy.stop = async () => {
    await Promise.all([listening.close(), redirectListening.close()])
  }
  return proxy
}
