import t from 'tap'
import { once } from 'node:events'
import { request, type IncomingMessage } from 'node:http'
import { ADMIN_TOKEN, TEST_CREDENTIALS_KEY } from '../helpers/app.js'
import { freshDatabaseUrl } from '../helpers/database.js'
import { freePort, startServer } from '../helpers/server-process.js'

t.test('a bad setting stops the process with one line naming the variable', async (t) => {
  const server = startServer({ PORT: 'eighty' })
  const [code] = await server.exited
  t.equal(code, 78)
  t.equal(server.err(), 'Invalid configuration: PORT="eighty" expected integer (TCP port)\n')
})

t.test('a setting that is only found missing while building the app also ends in one line', async (t) => {
  const server = startServer({ DATABASE_URL: await freshDatabaseUrl(t), ADMIN_TOKEN })
  const [code] = await server.exited
  t.equal(code, 78)
  t.match(server.err(), /^Invalid configuration: CREDENTIALS_KEY is required with DATABASE_URL[^\n]*\n$/)
})

t.test('SIGTERM: stops accepting, finishes the request in flight, exits cleanly', async (t) => {
  const port = await freePort()
  const server = startServer(
    {
      PORT: String(port),
      DATABASE_URL: await freshDatabaseUrl(t),
      ADMIN_TOKEN,
      CREDENTIALS_KEY: TEST_CREDENTIALS_KEY,
      DRAIN_DELAY_MS: '300'
    },
    t
  )
  await server.listening()

  // A request whose body is still arriving when the signal comes.
  const body = JSON.stringify({ name: 'in-flight', scopes: ['resolve'] })
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/v1/tokens',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
  })
  const response = once(req, 'response') as Promise<[IncomingMessage]>
  req.write(body.slice(0, 10))
  await new Promise((r) => setTimeout(r, 200))
  server.child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 200))
  req.end(body.slice(10))
  const [res] = await response
  t.equal(res.statusCode, 201, 'the in-flight request completed')
  t.equal(res.headers.connection, 'close', 'and its keep-alive connection is closed')
  const [code] = await server.exited
  t.equal(code, 0, `clean exit (stderr: ${server.err()})`)
  t.match(server.out(), /"msg":"shutting down"/)
})
