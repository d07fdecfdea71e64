// A real HTTP receiver on loopback that keeps every request it gets and answers 204.
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Test } from 'tap'

export interface ReceivedRequest {
  headers: IncomingHttpHeaders
  body: string
}

export interface Receiver {
  url: string
  /** host:port, for WEBHOOK_ALLOWED_PRIVATE_HOSTS */
  hostPort: string
  received: ReceivedRequest[]
  /** Resolves with the first request matching, or rejects after `timeoutMs`. */
  waitFor(match: (r: ReceivedRequest) => boolean, timeoutMs?: number): Promise<ReceivedRequest>
}

export async function startReceiver(t: Test): Promise<Receiver> {
  const received: ReceivedRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hook`,
    hostPort: `127.0.0.1:${port}`,
    received,
    async waitFor(match, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs
      for (;;) {
        const found = received.find(match)
        if (found) return found
        if (Date.now() > until) throw new Error('the receiver got no such request in time')
        await new Promise((r) => setTimeout(r, 20))
      }
    }
  }
}
