// Posts webhook messages to receivers through the registry client's SSRF guard, checked on the
// addresses really connected to, with the webhook allow-list. Redirects are not followed.
import { Agent, request } from 'undici'
import { createGuardedConnector } from '../../registry/guarded-connector.js'
import { createSsrfGuard, parseRetryAfter } from '../../registry/index.js'
import type { ReceiverAnswer } from './attempt-verdict.js'
import type { WebhookMessage } from './webhook-message.js'

// Receivers are told to answer quickly with an empty body; what they send is read this far (so
// the connection can be reused) and dropped.
const MAX_ANSWER_BYTES = 16 * 1024

export interface ReceiverClientOptions {
  allowedPrivateHosts: readonly string[]
  timeoutMs: number
}

export interface ReceiverClient {
  /** Throws on a network failure, a refused address or when `signal` aborts. */
  post(url: string, message: WebhookMessage, signal: AbortSignal): Promise<ReceiverAnswer>
  close(): Promise<void>
}

export function createReceiverClient(options: ReceiverClientOptions): ReceiverClient {
  const guard = createSsrfGuard({ allowedHosts: options.allowedPrivateHosts })
  const agent = new Agent({
    connect: createGuardedConnector(guard, options.timeoutMs),
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs
  })
  return {
    async post(url, message, signal) {
      const res = await request(url, {
        method: 'POST',
        headers: { 'user-agent': 'ci-image-store (webhook delivery)', ...message.headers },
        body: message.body,
        dispatcher: agent,
        signal
      })
      await res.body.dump({ limit: MAX_ANSWER_BYTES })
      const header = (name: string) => {
        const value = res.headers[name]
        return Array.isArray(value) ? value[0] : value
      }
      const retryAfterMs = parseRetryAfter(header('retry-after'))
      const location = header('location')
      return {
        statusCode: res.statusCode,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(location !== undefined ? { location } : {})
      }
    },
    close: () => agent.close()
  }
}
