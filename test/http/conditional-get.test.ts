import t, { type Test } from 'tap'
import { ifMatchAllows } from '../../src/images/image-etag.js'
import { noneMatchHits } from '../../src/http/entity-tags.js'
import { build, type TestApp } from '../helpers/app.js'
import { addVersion, createImage } from '../images/fixtures.js'
import { announceChange, insertImage, insertVersion } from '../resolve/fixtures.js'

const IMAGE = '/v1/images/node-20'
const VERSION = `${IMAGE}/versions/1.0.0`

async function imageWithVersion(t: Test): Promise<TestApp> {
  const test = await build(t)
  const { id } = await createImage(test)
  await addVersion(test, id, '1.0.0', 'testing')
  return test
}

/** GETs `url`, then GETs it again with the ETag it got: the second answer is returned. */
async function revalidate(test: TestApp, url: string, method: 'GET' | 'HEAD' = 'GET') {
  const first = await test.call({ method: 'GET', url })
  const etag = first.headers.etag as string
  const again = await test.call({ method, url, headers: { 'if-none-match': etag } })
  return { first, etag, again }
}

t.test('If-None-Match weak comparison, lists and *; If-Match still reads the revision in front', async (t) => {
  t.ok(noneMatchHits('W/"abc"', 'W/"abc"'))
  t.ok(noneMatchHits('"abc"', 'W/"abc"'), 'weak comparison ignores W/')
  t.ok(noneMatchHits('"x", W/"abc"', 'W/"abc"'), 'one of a list')
  t.ok(noneMatchHits('*', '"r3-abc"'))
  t.notOk(noneMatchHits(undefined, 'W/"abc"'))
  t.notOk(noneMatchHits('"abd"', 'W/"abc"'))
  t.notOk(noneMatchHits('abc', 'W/"abc"'), 'an unquoted tag is no tag')
  t.ok(ifMatchAllows('"r3-q1Zc3vCk"', 3), 'the tag a GET answered')
  t.ok(ifMatchAllows('"r3"', 3), 'the tag an edit answered')
  t.notOk(ifMatchAllows('"r33-q1Zc3vCk"', 3))
  t.notOk(ifMatchAllows('"r2-q1Zc3vCk"', 3))
  t.notOk(ifMatchAllows('W/"r3-q1Zc3vCk"', 3), 'still strong')
})

t.test('an image: 304 with no body while current; edits and releases give a new ETag', async (t) => {
  const test = await imageWithVersion(t)
  const { first, etag, again } = await revalidate(test, IMAGE)
  t.equal(first.statusCode, 200)
  t.match(etag, /^"r1-[A-Za-z0-9_-]+"$/, 'the revision, then a digest of the body')
  t.equal(again.statusCode, 304)
  t.equal(again.body, '', 'no body')
  t.notOk(again.headers['content-length'], 'no Content-Length')
  t.notOk(again.headers['content-type'])
  t.equal(again.headers.etag, etag, 'the current tag')

  const edited = await test.call({ method: 'PATCH', url: IMAGE, headers: { 'if-match': etag }, payload: { summary: 'LTS' } })
  t.equal(edited.statusCode, 200, 'If-Match accepts the tag a GET answered')
  const afterEdit = await test.call({ method: 'GET', url: IMAGE, headers: { 'if-none-match': etag } })
  t.equal(afterEdit.statusCode, 200, 'a stale tag gets the new body')
  t.match(afterEdit.headers.etag, /^"r2-/)

  // A release changes the image's lines, not its revision: the tag still changes.
  const released = await test.call({ method: 'POST', url: `${VERSION}/release` })
  t.equal(released.statusCode, 200, released.body)
  const afterRelease = await test.call({ method: 'GET', url: IMAGE, headers: { 'if-none-match': afterEdit.headers.etag as string } })
  t.equal(afterRelease.statusCode, 200)
  t.match(afterRelease.headers.etag, /^"r2-/)
  t.not(afterRelease.headers.etag, afterEdit.headers.etag)
  t.same(afterRelease.json<{ lines: { latest: { version: string } }[] }>().lines[0]?.latest?.version, '1.0.0')
})

t.test('a version and list pages: weak ETags, 304, a new tag when they change', async (t) => {
  const test = await imageWithVersion(t)
  for (const url of [VERSION, `${IMAGE}/versions`, '/v1/images', '/v1/images?limit=1', '/v1/tokens', '/v1/whoami', `${IMAGE}/events`]) {
    const { first, etag, again } = await revalidate(test, url)
    t.equal(first.statusCode, 200, url)
    t.match(etag, /^W\/"[A-Za-z0-9_-]{27}"$/, `${url}: weak, from the body`)
    t.equal(again.statusCode, 304, `${url}: 304`)
    t.equal(again.body, '')
  }
  const version = await revalidate(test, VERSION)
  const page = await revalidate(test, `${IMAGE}/versions`)
  t.equal((await test.call({ method: 'POST', url: `${VERSION}/release` })).statusCode, 200)
  for (const { url, etag } of [
    { url: VERSION, etag: version.etag },
    { url: `${IMAGE}/versions`, etag: page.etag }
  ]) {
    const after = await test.call({ method: 'GET', url, headers: { 'if-none-match': etag } })
    t.equal(after.statusCode, 200, `${url}: changed, so the body again`)
    t.not(after.headers.etag, etag, `${url}: a new tag`)
  }
  const stale = await test.call({ method: 'GET', url: VERSION, headers: { 'if-none-match': 'W/"stale", "other"' } })
  t.equal(stale.statusCode, 200, 'no listed tag is current: 200')
  t.equal(stale.json<{ version: string }>().version, '1.0.0')
  const any = await test.call({ method: 'GET', url: VERSION, headers: { 'if-none-match': '*' } })
  t.equal(any.statusCode, 304, '* matches the current body')
})

t.test('HEAD behaves like GET: the same ETag, 304 when current', async (t) => {
  const test = await imageWithVersion(t)
  for (const url of [IMAGE, `${IMAGE}/versions`]) {
    const get = await test.call({ method: 'GET', url })
    const head = await test.call({ method: 'HEAD', url })
    t.equal(head.statusCode, 200)
    t.equal(head.headers.etag, get.headers.etag, `${url}: same tag`)
    t.equal(head.body, '')
    t.equal(head.headers['content-length'], String(Buffer.byteLength(get.body)))
    const { again } = await revalidate(test, url, 'HEAD')
    t.equal(again.statusCode, 304, `${url}: HEAD 304`)
    t.equal(again.body, '')
  }
})

t.test('no tag where there is nothing to revalidate', async (t) => {
  const test = await imageWithVersion(t)
  const missing = await test.call({ method: 'GET', url: '/v1/images/nope', headers: { 'if-none-match': '*' } })
  t.equal(missing.statusCode, 404, 'a problem is never 304')
  t.notOk(missing.headers.etag)
  const health = await test.call({ method: 'GET', url: '/healthz', token: null })
  t.notOk(health.headers.etag, 'probes are not resources')
  const created = await test.call({ method: 'POST', url: '/v1/tokens', payload: { name: 'x', scopes: ['images:read'] } })
  t.notOk(String(created.headers.etag ?? '').startsWith('W/'), 'writes are not tagged from their body')
  const tooLong = await test.call({ method: 'GET', url: IMAGE, headers: { 'if-none-match': `"${'x'.repeat(2000)}"` } })
  t.equal(tooLong.statusCode, 400, 'an oversized If-None-Match is a problem')
  t.match(tooLong.headers['content-type'], /^application\/problem\+json/)
})

t.test('resolve answers are never cached, so never tagged nor revalidated', async (t) => {
  const test = await build(t)
  const image = await insertImage(test.app.db, 'tools', { visibilityProjects: ['payments'] })
  await insertVersion(test.app.db, image, '1.0.0', 'released')
  await announceChange(test.app, image)
  const res = await test.call({
    method: 'GET',
    url: '/v1/images/tools/resolve?version=1.latest&project=payments',
    headers: { 'if-none-match': '*' }
  })
  t.equal(res.statusCode, 200, res.body)
  t.equal(res.headers['cache-control'], 'no-store')
  t.notOk(res.headers.etag)
})
