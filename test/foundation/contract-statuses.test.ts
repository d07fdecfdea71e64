import t from 'tap'
import { build } from '../helpers/app.js'

interface Operation {
  operationId: string
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>
}

// Every status a route can answer is in the contract, including the ones no handler chooses.
t.test('each operation documents the problems any request can meet', async (t) => {
  const { app } = await build(t)
  await app.ready()
  const document = app.swagger() as unknown as { paths: Record<string, Record<string, Operation>> }
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const expected = ['400', '408', '431', '500']
      if (path.includes('{')) expected.push('414')
      if (method !== 'get') expected.push('413', '415')
      for (const status of expected) {
        const ref = operation.responses[status]?.content?.['application/problem+json']?.schema.$ref
        t.match(ref, /Problem$/, `${operation.operationId} lists ${status} as a problem`)
      }
      if (method === 'get') t.notOk(operation.responses['415'], `${operation.operationId}: a GET body is not parsed`)
    }
  }
  const release = document.paths['/v1/images/{code}/versions/{version}/release']?.post
  t.ok(release?.responses['401'] && release.responses['409'], "a route's own problems are kept")
})

t.test('a route without a body still parses one, and answers what its contract now says', async (t) => {
  const { call } = await build(t, { env: { BODY_LIMIT: '2048' } })
  const url = '/v1/images/node-20/versions/1.0.0/release'
  const notJson = await call({ method: 'POST', url, payload: 'x', headers: { 'content-type': 'text/plain' } })
  t.match(notJson.json(), { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' })
  const tooLarge = await call({ method: 'POST', url, payload: { pad: 'x'.repeat(4000) } })
  t.match(tooLarge.json(), { status: 413, code: 'BODY_TOO_LARGE' })
})
