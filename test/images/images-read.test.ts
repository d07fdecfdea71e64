import t from 'tap'
import { sql } from 'kysely'
import { build, type TestApp } from '../helpers/app.js'
import { WITH_KEY } from '../credentials/keys.js'
import { OWNER, addVersion, createImage } from './fixtures.js'

const codes = (res: { json(): { items: { code: string }[] } }) => res.json().items.map((i) => i.code)

async function walk(test: TestApp, url: string, token?: string): Promise<string[]> {
  const seen: string[] = []
  let cursor: string | null = null
  do {
    const sep = url.includes('?') ? '&' : '?'
    const res = await test.call({
      method: 'GET',
      url: `${url}${sep}limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      ...(token ? { token } : {})
    })
    if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${res.body}`)
    const page = res.json() as { items: { code: string }[]; nextCursor: string | null }
    seen.push(...page.items.map((i) => i.code))
    cursor = page.nextCursor
  } while (cursor)
  return seen
}

t.test('get: the image with its lines, ETag; lines: [] when there are no versions', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const image = await createImage(test)
  const empty = await test.call({ method: 'GET', url: '/v1/images/node-20' })
  t.equal(empty.statusCode, 200)
  t.match(empty.headers.etag, /^"r1-[A-Za-z0-9_-]+"$/, 'the revision, then a digest of the body')
  t.same(empty.json().lines, [])

  await addVersion(test, image.id, '1.0.0', 'released', '2026-11-01T00:00:00.000Z')
  await addVersion(test, image.id, '1.10.0', 'released', '2026-11-03T00:00:00.000Z')
  await addVersion(test, image.id, '1.9.0', 'released', '2026-11-04T00:00:00.000Z')
  await addVersion(test, image.id, '1.11.0', 'withdrawn')
  await addVersion(test, image.id, '2.0.0', 'cancelled')
  await addVersion(test, image.id, '2.0.0', 'testing')
  await addVersion(test, image.id, '3.0.0', 'released', '2026-11-05T00:00:00.000Z')
  const res = await test.call({ method: 'GET', url: '/v1/images/node-20' })
  t.same(res.json().lines, [
    { major: 3, latest: { version: '3.0.0', releasedAt: '2026-11-05T00:00:00.000Z' }, inProgress: null },
    { major: 2, latest: null, inProgress: { version: '2.0.0', status: 'testing' } },
    { major: 1, latest: { version: '1.10.0', releasedAt: '2026-11-03T00:00:00.000Z' }, inProgress: null }
  ])
})

t.test('get: unknown and malformed codes', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const missing = await test.call({ method: 'GET', url: '/v1/images/nope-nope' })
  t.equal(missing.statusCode, 404)
  t.equal(missing.json().code, 'IMAGE_NOT_FOUND')
  t.equal((await test.call({ method: 'GET', url: '/v1/images/NOPE' })).json().code, 'VALIDATION_FAILED')
  t.equal((await test.call({ method: 'GET', url: '/v1/images/nope-nope/events' })).statusCode, 404)
})

t.test('visibility: a token limited to projects sees only images visible to one of them (404 otherwise)', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test, { code: 'private-one' })
  await createImage(test, { code: 'debugged', debugProject: 'sandbox' })
  await createImage(test, { code: 'shared', visibility: { public: false, projects: ['web-ci'] } })
  await createImage(test, { code: 'public-one', visibility: { public: true } })
  const web = await test.token({ name: 'web', scopes: ['images:read'], projects: ['web-ci'] })
  const sandbox = await test.token({ name: 'sb', scopes: ['images:read'], projects: ['sandbox'] })
  const all = await test.token({ name: 'all', scopes: ['images:read'] })
  const resolver = await test.token({ name: 'resolver', scopes: ['resolve'] })

  t.same(await walk(test, '/v1/images', web), ['public-one', 'shared'])
  t.same(await walk(test, '/v1/images', sandbox), ['debugged', 'public-one'])
  t.same(await walk(test, '/v1/images', all), ['debugged', 'private-one', 'public-one', 'shared'])
  const hidden = await test.call({ method: 'GET', url: '/v1/images/private-one', token: web })
  t.equal(hidden.statusCode, 404, 'not 403: a private image is not revealed')
  t.equal(hidden.json().code, 'IMAGE_NOT_FOUND')
  t.equal((await test.call({ method: 'GET', url: '/v1/images/private-one/events', token: web })).statusCode, 404)
  t.equal((await test.call({ method: 'GET', url: '/v1/images/shared', token: web })).statusCode, 200)
  t.equal((await test.call({ method: 'GET', url: '/v1/images/private-one', token: all })).statusCode, 200)
  t.equal((await test.call({ method: 'GET', url: '/v1/images', token: resolver })).json().code, 'INSUFFICIENT_SCOPE')
  t.equal((await test.call({ method: 'GET', url: '/v1/images/shared', token: resolver })).statusCode, 403)
  t.equal((await test.call({ method: 'GET', url: '/v1/images', token: null })).statusCode, 401)
})

t.test('list: keyset pages by code; filters by project, label and free text', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  await createImage(test, { code: 'node-20', name: 'Node.js 20', summary: 'JavaScript build tools', labels: ['nodejs', 'build'] })
  await createImage(test, { code: 'node-22', name: 'Node.js 22', labels: ['nodejs'] })
  await createImage(test, {
    code: 'python-3',
    name: 'Python 3',
    summary: 'pip and poetry',
    labels: ['python', 'build'],
    ownerProject: 'data-ci'
  })
  await createImage(test, {
    code: 'go-1',
    name: "Gopher's toolbox",
    ownerProject: 'web-ci',
    visibility: { public: false, projects: [OWNER] }
  })
  await createImage(test, { code: 'rust', name: 'Rust stable', ownerProject: 'web-ci' })

  t.same(await walk(test, '/v1/images'), ['go-1', 'node-20', 'node-22', 'python-3', 'rust'])
  t.same(await walk(test, `/v1/images?project=${OWNER}`), ['go-1', 'node-20', 'node-22'])
  t.same(await walk(test, '/v1/images?label=build'), ['node-20', 'python-3'])
  t.same(await walk(test, '/v1/images?label=build&label=nodejs'), ['node-20'])
  t.same(codes(await test.call({ method: 'GET', url: '/v1/images?q=nod' })), ['node-20', 'node-22'])
  t.same(codes(await test.call({ method: 'GET', url: '/v1/images?q=node%2022' })), ['node-22'])
  t.same(codes(await test.call({ method: 'GET', url: '/v1/images?q=JAVASCRIPT' })), ['node-20'], 'summary, case-insensitive')
  t.same(codes(await test.call({ method: 'GET', url: '/v1/images?q=poet' })), ['python-3'])
  t.same(codes(await test.call({ method: 'GET', url: "/v1/images?q=gopher's" })), ['go-1'])
  t.same(codes(await test.call({ method: 'GET', url: '/v1/images?q=node-2' })), ['node-20', 'node-22'])
  t.same(codes(await test.call({ method: 'GET', url: '/v1/images?q=rust&label=build' })), [])
  // Words that are tsquery syntax are only ever data: no error, no widening of the match.
  for (const q of ["'", "node'", 'node:*|python', '!node', 'node & python', '(node', 'a\\', 'node<->22']) {
    const res = await test.call({ method: 'GET', url: `/v1/images?q=${encodeURIComponent(q)}` })
    t.not(res.statusCode, 500, q)
    t.ok(res.statusCode === 200 || res.json().code === 'INVALID_SEARCH', q)
    if (res.statusCode === 200) t.notOk(codes(res).includes('python-3') && codes(res).includes('node-20'), `${q} is not an OR`)
  }
  t.equal((await test.call({ method: 'GET', url: '/v1/images?q=%26%26' })).json().code, 'INVALID_SEARCH')
})

t.test('list: bad queries are 400s', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  for (const query of [
    'limit=0',
    'limit=101',
    'sort=name',
    'project=Bad',
    'label=Two%20Words',
    'cursor=nope',
    'unknown=1',
    `q=${'x'.repeat(201)}`,
    'q=a%00b'
  ]) {
    const res = await test.call({ method: 'GET', url: `/v1/images?${query}` })
    t.equal(res.statusCode, 400, query)
  }
  const codeCursor = Buffer.from(JSON.stringify(['node-20'])).toString('base64url')
  t.equal(
    (await test.call({ method: 'GET', url: `/v1/images?sort=lastRelease&cursor=${codeCursor}` })).json().code,
    'INVALID_CURSOR',
    'a cursor of another sort'
  )
  const forged = Buffer.from(JSON.stringify(['yesterday', 'a'])).toString('base64url')
  t.equal((await test.call({ method: 'GET', url: `/v1/images?sort=lastRelease&cursor=${forged}` })).json().code, 'INVALID_CURSOR')
  const impossibleDate = Buffer.from(JSON.stringify(['2026-13-45T99:99:99.000000Z', 'a'])).toString('base64url')
  const res = await test.call({ method: 'GET', url: `/v1/images?sort=lastRelease&cursor=${impossibleDate}` })
  t.equal(res.statusCode, 400, 'a well-shaped but impossible timestamp never reaches the database')
  t.equal(res.json().code, 'INVALID_CURSOR')
})

t.test('sort=lastRelease: newest release first (to the microsecond), never released last, then code', async (t) => {
  const test = await build(t, { env: WITH_KEY })
  const at = (code: string, ts: string | null) =>
    test.app.db
      .updateTable('images')
      .set({ lastReleasedAt: ts === null ? null : sql<Date>`${ts}::timestamptz` })
      .where('code', '=', code)
      .execute()
  for (const code of ['aaa', 'bbb', 'ccc', 'ddd', 'eee', 'fff', 'ggg']) await createImage(test, { code })
  // Same millisecond, different microseconds: a millisecond cursor would skip or repeat these.
  await at('ccc', '2026-11-20 10:00:00.123456+00')
  await at('aaa', '2026-11-20 10:00:00.123001+00')
  await at('fff', '2026-11-20 10:00:00.123001+00')
  await at('eee', '2026-11-21 08:00:00+00')
  await at('bbb', '2026-11-19 08:00:00+00')
  t.same(await walk(test, '/v1/images?sort=lastRelease'), ['eee', 'ccc', 'aaa', 'fff', 'bbb', 'ddd', 'ggg'])
  const first = (await test.call({ method: 'GET', url: '/v1/images?sort=lastRelease&limit=1' })).json()
  t.match(first.items[0], { code: 'eee', lastReleasedAt: '2026-11-21T08:00:00.000Z' })
})
