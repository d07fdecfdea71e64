// An undici connector that enforces the SSRF guard at connect time. Node skips `lookup` for literal
// IP hosts, so literals are judged here before connecting; names are judged by the guard's lookup on
// the addresses the socket will really use.
import { buildConnector } from 'undici'
import type { SsrfGuard } from './ssrf-guard.js'
import { defaultPort, stripBrackets } from './host-list.js'

export function createGuardedConnector(guard: SsrfGuard, connectTimeoutMs: number): buildConnector.connector {
  const direct = buildConnector({ timeout: connectTimeoutMs })
  const checked = buildConnector({ timeout: connectTimeoutMs, lookup: guard.lookup })
  return (options, callback) => {
    const hostname = stripBrackets(options.hostname)
    const port = options.port || defaultPort(options.protocol)
    if (guard.isAllowed(hostname, port)) return direct(options, callback)
    const refusal = guard.refusalForName(hostname, port)
    if (refusal !== undefined) {
      process.nextTick(() => callback(refusal, null))
      return
    }
    checked(options, callback)
  }
}
