import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

// An incoming id is kept only if it is short and plain, so it is safe in logs and headers.
const ACCEPTABLE = /^[A-Za-z0-9._:-]{1,128}$/

export const REQUEST_ID_HEADER = 'x-request-id'

export function requestIdFrom(req: IncomingMessage): string {
  const incoming = req.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && ACCEPTABLE.test(incoming) ? incoming : randomUUID()
}
