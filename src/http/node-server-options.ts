import type { ServerOptions } from 'node:http'
import type { Config } from '../config.js'

/**
 * What Node's HTTP server is told. Time limits: a client that sends its headers or its body too
 * slowly is answered 408 and cut off (see answerClientError) instead of holding a connection for
 * ever. Node checks them on a timer (every 30 s by default); checking at a quarter of the shortest
 * limit, at most each second, keeps a limit within a second of what is configured.
 * Node also answers an HTTP/1.1 request without Host by itself, with an empty 400: the app does it
 * instead, as a problem (see hostRequired).
 */
export function nodeServerOptions(config: Config): { requestTimeout: number; keepAliveTimeout: number; http: ServerOptions } {
  const shortest = Math.min(config.HEADERS_TIMEOUT_MS, config.REQUEST_TIMEOUT_MS)
  return {
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT_MS,
    http: {
      requireHostHeader: false,
      headersTimeout: config.HEADERS_TIMEOUT_MS,
      connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(shortest / 4)))
    }
  }
}
