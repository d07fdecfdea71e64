/**
 * What one answer must be, by the committed contract, and the distinct ways answers were not.
 * Findings are collected rather than thrown so one run reports every kind of breach at once,
 * each with the first request that showed it (enough to reproduce it with curl or inject).
 */
import type { LightMyRequestResponse } from 'fastify'
import type { Operation } from './openapi-operations.js'
import type { ContractValidator } from './problem-validator.js'
import type { FuzzRequest } from './request-arbitraries.js'

export interface Finding {
  key: string
  operation: string
  what: string
  count: number
  request: { method: string; url: string; token: string; headers: Record<string, string>; payload?: string; defects: string[] }
  response: { status: number; contentType: string; body: string }
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s)

function parse(body: string): unknown {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function reachesOperation(op: Operation, url: string): boolean {
  const segments = new URL(url, 'http://fuzz.invalid').pathname.split('/')
  const template = op.path.split('/')
  return segments.length === template.length && template.every((part, i) => part.startsWith('{') || part === segments[i])
}

/** The breaches of one answer, as short stable descriptions (the part after the operation id makes them distinct). */
export function breaches(op: Operation, req: FuzzRequest, res: LightMyRequestResponse, validator: ContractValidator): string[] {
  const status = res.statusCode
  const contentType = String(res.headers['content-type'] ?? '')
  const body = parse(res.body) as Record<string, unknown> | undefined
  const found: string[] = []
  if (status >= 500) found.push(`answers ${status}`)
  // a dot segment or an encoded slash can make the URL another route's (or none): the router's answer is then not this operation's
  const routed =
    typeof body?.code === 'string' && ['ROUTE_NOT_FOUND', 'METHOD_NOT_ALLOWED'].includes(body.code) && !reachesOperation(op, req.url)
  if (!op.statuses.includes(status) && !routed)
    found.push(`answers ${status}${typeof body?.code === 'string' ? ` ${body.code}` : ''}, which the contract does not list for it`)
  if (status >= 400) {
    if (!contentType.startsWith('application/problem+json'))
      found.push(`a ${status} is ${contentType || 'without content type'}, not application/problem+json`)
    else if (!validator.problem(body))
      found.push(
        `a ${status} problem breaks the Problem schema (${validator.problem.errors?.[0]?.instancePath} ${validator.problem.errors?.[0]?.message})`
      )
    else {
      if (body?.status !== status) found.push(`a ${status} problem says status ${String(body?.status)}`)
      if (typeof body?.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(body.code))
        found.push(`a ${status} problem has code ${JSON.stringify(body?.code)}`)
    }
  } else if (status >= 200 && status < 300) {
    if (req.write)
      found.push(
        `accepts (${status}) a write the contract refuses: ${req.defects.filter((d) => !d.startsWith('(')).join('; ') || 'see request'}`
      )
    else if (
      req.defects.some((d) => d.startsWith('body ') || d.startsWith('path ') || d === 'malformed JSON' || d.startsWith('content type'))
    )
      found.push(
        `accepts (${status}) a request the contract refuses: ${req.defects.filter((d) => !d.startsWith('(') && !d.startsWith('token')).join('; ')}`
      )
    if ((req.token === 'none' || req.token === 'malformed') && op.statuses.includes(401))
      found.push(`answers ${status} without a valid token`)
    const pointer = op.responsePointers.get(status)
    if (pointer && !validator.at(pointer)(body))
      found.push(
        `a ${status} body breaks its documented schema (${validator.at(pointer).errors?.[0]?.instancePath} ${validator.at(pointer).errors?.[0]?.message})`
      )
  }
  return found
}

export class FindingLog {
  readonly findings = new Map<string, Finding>()
  requests = 0

  record(op: Operation, req: FuzzRequest, res: LightMyRequestResponse, what: string[]): void {
    for (const w of what) {
      const key = `${op.id}: ${w.replace(/\(\d+ chars\)/g, '')}`
      const seen = this.findings.get(key)
      if (seen) {
        seen.count++
        continue
      }
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, clip(v, 80)]))
      this.findings.set(key, {
        key,
        operation: op.id,
        what: w,
        count: 1,
        request: {
          method: req.method,
          url: clip(req.url, 200),
          token: req.token,
          headers,
          ...(req.payload !== undefined ? { payload: clip(req.payload) } : {}),
          defects: req.defects
        },
        response: { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body: clip(res.body) }
      })
    }
  }
}
