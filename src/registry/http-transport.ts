// The one place requests leave the process. It owns the rules that must hold for every request,
// including redirect hops: plain http only to insecure hosts, Authorization only to the origin it
// was meant for, bounded bodies, and a shared deadline.
import { request, type Dispatcher } from 'undici'
import type { IncomingHttpHeaders } from 'node:http'
import type { HostList } from './host-list.js'
import { urlHostPort } from './host-list.js'

export class PlainHttpRefusedError extends Error {
  readonly code = 'ERR_REGISTRY_PLAIN_HTTP'
  constructor(readonly host: string) {
    super(`refused plain http to ${host}: it is not configured as insecure`)
    this.name = 'PlainHttpRefusedError'
  }
}

export class BodyTooLargeError extends Error {
  constructor(
    readonly host: string,
    readonly limit: number
  ) {
    super(`response from ${host} exceeds ${limit} bytes`)
    this.name = 'BodyTooLargeError'
  }
}

export class TooManyRedirectsError extends Error {
  constructor(
    readonly host: string,
    readonly limit: number
  ) {
    super(`more than ${limit} redirects starting at ${host}`)
    this.name = 'TooManyRedirectsError'
  }
}

/** A network-level failure, tagged with the host it happened on (the realm may not be the registry). */
export class RequestFailedError extends Error {
  constructor(
    readonly host: string,
    cause: unknown
  ) {
    super(`request to ${host} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'RequestFailedError'
  }
}

export interface HttpRequest {
  method: 'GET' | 'HEAD'
  url: URL
  accept?: string
  authorization?: string
  /** Read the body of a 200 answer (capped); other bodies are discarded. */
  readBody?: boolean
  signal: AbortSignal
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  /** The URL that finally answered, after redirects. */
  url: URL
  body: Buffer | undefined
}

export interface HttpTransportOptions {
  dispatcher: Dispatcher
  insecureHosts: HostList
  maxBodyBytes: number
  userAgent: string
  maxRedirections?: number
}

export type HttpTransport = (req: HttpRequest) => Promise<HttpResponse>

const REDIRECTS = new Set([301, 302, 303, 307, 308])

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

export function createHttpTransport(options: HttpTransportOptions): HttpTransport {
  const maxRedirections = options.maxRedirections ?? 3

  const assertSchemeAllowed = (url: URL): void => {
    const { hostname, port } = urlHostPort(url)
    if (url.protocol === 'https:') return
    if (url.protocol !== 'http:' || !options.insecureHosts.has(hostname, port)) throw new PlainHttpRefusedError(url.host)
  }

  const readCapped = async (body: Dispatcher.ResponseData['body'], headers: IncomingHttpHeaders, host: string): Promise<Buffer> => {
    const limit = options.maxBodyBytes
    // undici reports a destroyed body as an 'error' event; we already know why we stopped reading.
    body.on('error', () => {})
    if (Number(headerValue(headers, 'content-length') ?? 0) > limit) {
      body.destroy()
      throw new BodyTooLargeError(host, limit)
    }
    const chunks: Buffer[] = []
    let total = 0
    // Count while streaming: Content-Length may be absent or wrong.
    for await (const chunk of body as AsyncIterable<Buffer>) {
      total += chunk.length
      if (total > limit) throw new BodyTooLargeError(host, limit)
      chunks.push(chunk)
    }
    return Buffer.concat(chunks)
  }

  return async (req) => {
    const origin = req.url.origin
    let url = req.url
    for (let hop = 0; ; hop++) {
      assertSchemeAllowed(url)
      const headers: Record<string, string> = { 'user-agent': options.userAgent }
      if (req.accept !== undefined) headers.accept = req.accept
      // Only the origin the credential was issued for sees it; a blob store behind a redirect must not.
      if (req.authorization !== undefined && url.origin === origin) headers.authorization = req.authorization
      let res: Dispatcher.ResponseData
      try {
        res = await request(url, { method: req.method, headers, dispatcher: options.dispatcher, signal: req.signal })
      } catch (error) {
        throw new RequestFailedError(url.host, error)
      }
      const location = headerValue(res.headers, 'location')
      if (REDIRECTS.has(res.statusCode) && location !== undefined) {
        await res.body.dump()
        if (hop >= maxRedirections) throw new TooManyRedirectsError(req.url.host, maxRedirections)
        url = new URL(location, url)
        continue
      }
      let body: Buffer | undefined
      try {
        if (req.readBody === true && res.statusCode === 200) body = await readCapped(res.body, res.headers, url.host)
        else await res.body.dump({ limit: 64 * 1024 })
      } catch (error) {
        if (error instanceof BodyTooLargeError) throw error
        throw new RequestFailedError(url.host, error)
      }
      return { status: res.statusCode, headers: res.headers, url, body }
    }
  }
}
