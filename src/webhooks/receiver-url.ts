import { createSsrfGuard } from '../registry/ssrf-guard.js'
import { createHostList, urlHostPort } from '../registry/host-list.js'

const MAX_URL_LENGTH = 2048

/**
 * Why a receiver URL is refused, or undefined when it may be subscribed. Names that resolve to
 * private addresses are caught when the delivery connects (the SSRF guard); what can be told from
 * the text alone is refused here, so a subscriber hears of it at once rather than from failed deliveries.
 */
export function checkReceiverUrl(text: string, allowedPrivateHosts: readonly string[]): string | undefined {
  if (text.length > MAX_URL_LENGTH) return `the URL is longer than ${MAX_URL_LENGTH} characters`
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return 'it is not an absolute URL'
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `the scheme ${url.protocol.slice(0, -1)} is not http or https`
  // Credentials in the URL would be stored and shown in clear with the subscription.
  if (url.username !== '' || url.password !== '') return 'the URL carries a user name or password; authenticate receivers by the signature'
  if (url.hash !== '') return 'the URL has a fragment, which is never sent'
  const { hostname, port } = urlHostPort(url)
  if (hostname === '') return 'the URL has no host'
  const allowed = createHostList(allowedPrivateHosts).has(hostname, port)
  // Plain http carries the signed body readable by anyone on the path: only hosts an operator listed (a LAN receiver).
  if (url.protocol === 'http:' && !allowed)
    return `plain http is allowed only to hosts listed in WEBHOOK_ALLOWED_PRIVATE_HOSTS, not ${url.host}`
  const refusal = createSsrfGuard({ allowedHosts: allowedPrivateHosts }).refusalForName(hostname, port)
  return refusal === undefined ? undefined : `the receiver ${refusal.host} is refused: ${refusal.detail}`
}
