// Retry-After comes either as delta-seconds or as an HTTP-date (RFC 9110 §10.2.3); registries use both.

export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const at = Date.parse(text)
  if (Number.isNaN(at)) return undefined
  // A date in the past means "now"; never hand the caller a negative delay.
  return Math.max(0, at - now)
}
