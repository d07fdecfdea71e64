import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { build, ADMIN_TOKEN, type TestApp } from '../helpers/app.js'
import { createImage } from '../images/fixtures.js'

const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** Enough images that the first page is well over the threshold. */
async function manyImages(test: TestApp): Promise<void> {
  for (let i = 0; i < 12; i++) await createImage(test, { code: `image-${i}`, name: `Image number ${i}`, summary: 'A build image' })
}

interface RawAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/** A request over the socket with no client-side decoding: the bytes as sent. */
function get(port: number, path: string, headers: Record<string, string>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

t.test('over a real socket: a large page in br and gzip decodes to the plain body; a small answer is left alone', async (t) => {
  const test = await build(t)
  await manyImages(test)
  await test.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = test.app.server.address() as AddressInfo

  const plain = await get(port, '/v1/images?limit=12', auth)
  t.equal(plain.status, 200)
  t.notOk(plain.headers['content-encoding'], 'nothing accepted, nothing compressed')
  t.ok(plain.body.length > 1024, `the page is large (${plain.body.length} bytes)`)

  for (const [encoding, decode] of [
    ['br', brotliDecompressSync],
    ['gzip', gunzipSync]
  ] as const) {
    const packed = await get(port, '/v1/images?limit=12', { ...auth, 'accept-encoding': encoding })
    t.equal(packed.status, 200)
    t.equal(packed.headers['content-encoding'], encoding)
    t.match(packed.headers.vary, /accept-encoding/i)
    t.ok(packed.body.length < plain.body.length, `${encoding}: ${plain.body.length} → ${packed.body.length} bytes`)
    t.same(decode(packed.body), plain.body, `${encoding}: decodes to the same bytes`)
    t.equal(packed.headers.etag, plain.headers.etag, 'the tag is of the body, whatever the coding')
    const again = await get(port, '/v1/images?limit=12', {
      ...auth,
      'accept-encoding': encoding,
      'if-none-match': String(packed.headers.etag)
    })
    t.equal(again.status, 304)
    t.equal(again.body.length, 0, '304: nothing to compress')
  }

  const small = await get(port, '/v1/whoami', { ...auth, 'accept-encoding': 'br, gzip' })
  t.equal(small.status, 200)
  t.ok(small.body.length < 1024)
  t.notOk(small.headers['content-encoding'], 'under 1 KiB: sent as is')
  t.doesNotThrow(() => JSON.parse(small.body.toString()))

  // fetch decodes by itself, as a browser does.
  const fetched = await fetch(`http://127.0.0.1:${port}/v1/images?limit=12`, { headers: { ...auth, 'accept-encoding': 'gzip' } })
  t.equal(fetched.headers.get('content-encoding'), 'gzip')
  t.same(await fetched.json(), JSON.parse(plain.body.toString()))
})

t.test('/openapi.json: cacheable, revalidated, compressed', async (t) => {
  const test = await build(t)
  const first = await test.app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(first.statusCode, 200)
  t.equal(first.headers['cache-control'], 'public, max-age=300')
  const etag = first.headers.etag as string
  t.match(etag, /^W\/"[A-Za-z0-9_-]+"$/)
  t.equal(first.json<{ openapi: string }>().openapi, '3.1.0')

  const again = await test.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'if-none-match': etag } })
  t.equal(again.statusCode, 304)
  t.equal(again.body, '')
  t.equal(again.headers['cache-control'], 'public, max-age=300', 'a 304 keeps the caching rule')
  t.equal(again.headers.etag, etag)
  const stale = await test.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'if-none-match': 'W/"older"' } })
  t.equal(stale.statusCode, 200)

  const gzip = await test.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'accept-encoding': 'gzip' } })
  t.equal(gzip.headers['content-encoding'], 'gzip')
  t.ok(gzip.rawPayload.length * 4 < first.rawPayload.length, `${first.rawPayload.length} → ${gzip.rawPayload.length} bytes`)
  t.same(gunzipSync(gzip.rawPayload), first.rawPayload)
  const br = await test.app.inject({ method: 'GET', url: '/openapi.json', headers: { 'accept-encoding': 'br' } })
  t.equal(br.headers['content-encoding'], 'br')
  t.same(brotliDecompressSync(br.rawPayload), first.rawPayload)
})

t.test('a resolve batch is compressed when large; a single resolve never (it declares compress: false)', async (t) => {
  const test = await build(t)
  const batch = await test.app.inject({
    method: 'POST',
    url: '/v1/resolve',
    headers: { ...auth, 'accept-encoding': 'gzip' },
    payload: { project: 'payments-ci', images: Array.from({ length: 20 }, (_, i) => ({ image: `missing-${i}`, version: '1.latest' })) }
  })
  t.equal(batch.statusCode, 200)
  t.equal(batch.headers['content-encoding'], 'gzip', 'a batch answer is large: compressed')
  t.match(JSON.parse(gunzipSync(batch.rawPayload).toString()), { results: { length: 20 } })
})
