import t from 'tap'
import { build } from '../helpers/app.js'
import { action, createImage, publish, push, registryEnv, startTestRegistry, submit, versionsUrl, waitForCheck } from './fixtures.js'
import type { Version } from '../../src/versions/versions.schemas.js'

t.test('listing and reading versions', async (t) => {
  const registry = await startTestRegistry(t)
  for (let i = 0; i < 14; i++) await push(registry, 'team/list', `t${i}`)
  const app = await build(t, { env: registryEnv(registry) })
  const at = { registry: registry.host, repository: 'team/list' }

  // 1.0.0 … 1.10.0 (1.10.0 must sort after 1.9.0), 2.0.0, a backport 1.10.1 and 2.1.0 in testing.
  await createImage(app, { code: 'many', visibility: { public: false, projects: ['web-ci'] } })
  await publish(app, 'many', { ...at, tag: 't0' })
  for (let i = 1; i <= 10; i++) await publish(app, 'many', { ...at, tag: `t${i}`, releaseType: 'minor' })
  await publish(app, 'many', { ...at, tag: 't11', releaseType: 'major' })
  await publish(app, 'many', { ...at, tag: 't12', releaseType: 'patch', line: 1 })
  const last = await submit(app, 'many', { ...at, tag: 't13', releaseType: 'minor', dockerfile: 'FROM alpine\n' })
  await waitForCheck(app, 'many', last.json().version)
  const all = [
    '2.1.0',
    '2.0.0',
    '1.10.1',
    '1.10.0',
    '1.9.0',
    '1.8.0',
    '1.7.0',
    '1.6.0',
    '1.5.0',
    '1.4.0',
    '1.3.0',
    '1.2.0',
    '1.1.0',
    '1.0.0'
  ]

  const list = async (query: string, token?: string) =>
    app.call({ method: 'GET', url: `${versionsUrl('many')}${query}`, ...(token ? { token } : {}) })
  const versions = (res: Awaited<ReturnType<typeof list>>) => res.json<{ items: Version[] }>().items.map((v) => v.version)

  t.test('newest first by number, never as strings', async (t) => {
    const res = await list('?limit=100')
    t.equal(res.statusCode, 200)
    t.same(versions(res), all)
    t.equal(res.json().nextCursor, null)
  })

  t.test('pages follow each other without gaps or repeats', async (t) => {
    const seen: string[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await list(`?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
      t.equal(res.statusCode, 200)
      seen.push(...versions(res))
      cursor = res.json().nextCursor
      pages++
    } while (cursor)
    t.same(seen, all)
    t.equal(pages, 4)
    const bad = await list('?cursor=not-ours')
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().code, 'INVALID_CURSOR')
  })

  t.test('filters: status (one or several) and line', async (t) => {
    t.same(versions(await list('?status=testing')), ['2.1.0'])
    t.same(versions(await list('?line=2')), ['2.1.0', '2.0.0'])
    t.same(versions(await list('?line=1&limit=3')), ['1.10.1', '1.10.0', '1.9.0'])
    t.same(versions(await list('?status=testing&status=released&line=2')), ['2.1.0', '2.0.0'])
    t.same(versions(await list('?line=7')), [])
    t.equal((await list('?status=bogus')).statusCode, 400)
    t.equal((await list('?line=x')).statusCode, 400)
    t.equal((await list('?limit=101')).statusCode, 400)
    t.equal((await list('?sort=desc')).statusCode, 400)
  })

  t.test('a version has everything the store shows', async (t) => {
    const res = await app.call({ method: 'GET', url: `${versionsUrl('many')}/2.1.0` })
    t.equal(res.statusCode, 200)
    const v = res.json<Version>()
    t.match(v, {
      imageCode: 'many',
      version: '2.1.0',
      releaseType: 'minor',
      status: 'testing',
      reference: `${registry.host}/team/list:t13`,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
      dockerfile: 'FROM alpine\n'
    })
    t.equal(v.pinnedReference, `${registry.host}/team/list@${v.digest}`)
    t.match(v.digest, /^sha256:[0-9a-f]{64}$/)
    t.type(v.size, 'number')
    t.type(v.checkedAt, 'string')
    const backport = await app.call({ method: 'GET', url: `${versionsUrl('many')}/1.10.1` })
    t.match(backport.json(), { releaseType: 'patch', status: 'released', releasedBy: 'admin' })
  })

  t.test('images:read, and project-limited tokens only see visible images', async (t) => {
    const visible = await app.token({ name: 'web', scopes: ['images:read'], projects: ['web-ci'] })
    t.equal((await list('', visible)).statusCode, 200)
    t.equal((await app.call({ method: 'GET', url: `${versionsUrl('many')}/2.0.0`, token: visible })).statusCode, 200)
    const hidden = await app.token({ name: 'other', scopes: ['images:read'], projects: ['other-ci'] })
    const res = await list('', hidden)
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'IMAGE_NOT_FOUND')
    t.equal((await app.call({ method: 'GET', url: `${versionsUrl('many')}/2.0.0`, token: hidden })).statusCode, 404)
    const resolver = await app.token({ name: 'resolver', scopes: ['resolve'] })
    t.equal((await list('', resolver)).statusCode, 403)
    t.equal((await app.call({ method: 'GET', url: versionsUrl('many'), token: null })).statusCode, 401)
    t.equal((await app.call({ method: 'GET', url: versionsUrl('nope-image') })).statusCode, 404)
  })

  t.test('a withdrawn release stays listed with its reason', async (t) => {
    t.equal((await action(app, 'many', '2.0.0', 'withdraw', { reason: 'broken' })).statusCode, 200)
    const res = await list('?status=withdrawn')
    t.same(versions(res), ['2.0.0'])
    t.match(res.json().items[0], { withdrawReason: 'broken', withdrawnBy: 'admin' })
  })
})
