// A problem+json answer as a person reads it on stderr: title, status and code, then the detail,
// then what else the problem carries (invalid fields, current status, allowed actions, request id).
const STANDARD = new Set(['type', 'title', 'status', 'detail', 'instance', 'code', 'requestId', 'errors'])

interface FieldError {
  path: string
  message: string
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

export function problemText(status: number, body: unknown): string {
  if (!isRecord(body) || typeof body.title !== 'string') {
    const text = typeof body === 'string' ? body : JSON.stringify(body ?? '')
    return `HTTP ${status}, not a problem document: ${text.slice(0, 300)}`
  }
  const code = typeof body.code === 'string' ? `, ${body.code}` : ''
  const lines = [`${body.title} (HTTP ${status}${code})`]
  if (typeof body.detail === 'string') lines.push(`  ${body.detail}`)
  if (Array.isArray(body.errors)) for (const e of body.errors as FieldError[]) lines.push(`  ${e.path || '(body)'}: ${e.message}`)
  for (const [key, value] of Object.entries(body)) if (!STANDARD.has(key)) lines.push(`  ${key}: ${JSON.stringify(value)}`)
  if (typeof body.requestId === 'string') lines.push(`  request id: ${body.requestId}`)
  return lines.join('\n')
}
