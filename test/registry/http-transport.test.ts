import t, { type Test } from 'tap'
import { createServer, type RequestListener } from 'node:http'
import { Agent } from 'undici'
import { createHostList } from '../../src/registry/host-list.js'
import {
  BodyTooLargeError,
  PlainHttpRefusedError,
  TooManyRedirectsError,
  createHttpTransport,
  type HttpTransport
} from '../../src/registry/http-transport.js'

async function serve(t: Test, handler: RequestListener): Promise<string> {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  )
  const address = server.address()
  return `127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
}

function transport(t: Test, insecure: string[], maxBodyBytes = 1000): HttpTransport {
  const agent = new Agent()
  t.teardown(() => agent.close())
  return createHttpTransport({ dispatcher: agent, insecureHosts: createHostList(insecure), maxBodyBytes, userAgent: 'test' })
}

const signal = (): AbortSignal => AbortSignal.timeout(5000)

t.test('caps bodies with and without Content-Length', async (t) => {
  const host = await serve(t, (req, res) => {
    if (req.url === '/declared') return void res.writeHead(200, { 'content-length': '5000' }).end('x'.repeat(5000))
    res.writeHead(200) // chunked: the size is only known while streaming
    for (let i = 0; i < 10; i++) res.write('y'.repeat(200))
    res.end()
  })
  const send = transport(t, [host])
  for (const path of ['/declared', '/chunked']) {
    await t.rejects(
      send({ method: 'GET', url: new URL(`http://${host}${path}`), readBody: true, signal: signal() }),
      BodyTooLargeError,
      path
    )
  }
  const small = await transport(
    t,
    [host],
    10_000
  )({ method: 'GET', url: new URL(`http://${host}/chunked`), readBody: true, signal: signal() })
  t.equal(small.body?.length, 2000)
})

t.test('sends Authorization to the original origin only', async (t) => {
  const seen: Record<string, string | undefined> = {}
  const other = await serve(t, (req, res) => {
    seen.other = req.headers.authorization
    res.writeHead(200).end('ok')
  })
  const origin = await serve(t, (req, res) => {
    if (req.url === '/start') return void res.writeHead(302, { location: '/same' }).end()
    if (req.url === '/same') {
      seen.same = req.headers.authorization
      return void res.writeHead(307, { location: `http://${other}/x` }).end()
    }
    res.writeHead(404).end()
  })
  const response = await transport(t, [origin, other])({
    method: 'GET',
    url: new URL(`http://${origin}/start`),
    authorization: 'Bearer secret-token',
    readBody: true,
    signal: signal()
  })
  t.equal(response.status, 200)
  t.equal(response.url.host, other)
  t.equal(seen.same, 'Bearer secret-token', 'same-origin redirect keeps it')
  t.equal(seen.other, undefined, 'cross-origin redirect drops it')
})

t.test('refuses plain http to hosts not listed as insecure, even after a redirect', async (t) => {
  const target = await serve(t, (_req, res) => {
    res.writeHead(200).end()
  })
  const origin = await serve(t, (_req, res) => {
    res.writeHead(302, { location: `http://${target}/` }).end()
  })
  const send = transport(t, [origin])
  await t.rejects(send({ method: 'GET', url: new URL(`http://${target}/`), signal: signal() }), PlainHttpRefusedError)
  await t.rejects(send({ method: 'GET', url: new URL(`http://${origin}/`), signal: signal() }), {
    name: 'PlainHttpRefusedError',
    host: target
  })
})

t.test('follows at most 3 redirects', async (t) => {
  let hits = 0
  const host = await serve(t, (_req, res) => {
    hits++
    res.writeHead(302, { location: `/hop${hits}` }).end()
  })
  await t.rejects(transport(t, [host])({ method: 'HEAD', url: new URL(`http://${host}/`), signal: signal() }), TooManyRedirectsError)
  t.equal(hits, 4, 'the original request and three redirects')
})
