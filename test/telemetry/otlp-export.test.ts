// The production path: spans leave through the OTLP/HTTP exporter to <endpoint>/v1/traces, and
// closing the app sends what is still queued, never waiting on the collector for long.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { build } from '../helpers/app.js'

interface Received {
  method: string
  url: string
  contentType: string
  body: string
}

/** An HTTP server on loopback standing in for a collector; `answer` false = it never replies. */
async function collector(t: Test, answer = true): Promise<{ endpoint: string; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        contentType: req.headers['content-type'] ?? '',
        body: Buffer.concat(chunks).toString()
      })
      if (answer) res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received }
}

t.test('spans reach the collector over OTLP/HTTP by the time the app has closed', async (t) => {
  const { endpoint, received } = await collector(t)
  const { app, call } = await build(t, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'cis-otlp-test' } })
  const traceId = '0af7651916cd43dd8448eb211c80319c'
  const res = await call({ method: 'GET', url: '/v1/whoami', headers: { traceparent: `00-${traceId}-b7ad6b7169203331-01` } })
  t.equal(res.statusCode, 200)
  t.same(received, [], 'batched, not sent per request')

  await app.close()
  t.equal(received.length, 1, 'one export at shutdown')
  const [post] = received
  t.match(post, { method: 'POST', url: '/v1/traces', contentType: /^application\/json/ })
  t.match(post!.body, 'GET /v1/whoami')
  t.match(post!.body, 'cis-otlp-test')
  t.match(post!.body, traceId)
})

t.test('a collector that never answers holds shutdown for a bounded time only', async (t) => {
  const { endpoint, received } = await collector(t, false)
  const { app, call } = await build(t, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } })
  t.equal((await call({ method: 'GET', url: '/v1/whoami' })).statusCode, 200)

  const started = Date.now()
  await app.close()
  const took = Date.now() - started
  t.comment(`close took ${took} ms`)
  t.ok(took < 5_000, 'closed without waiting on the collector')
  t.equal(received.length, 1, 'the export was attempted')
})
