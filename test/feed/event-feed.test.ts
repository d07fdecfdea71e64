// GET /v1/events: the outbox read catalog-wide, oldest first after a cursor, by the images' project
// rules; a consumer that stores nextCursor never misses or repeats an event, even while changes
// commit concurrently.
import t from 'tap'
import { build, type TestApp } from '../helpers/app.js'
import { pushImage } from '../helpers/registry/index.js'
import { startStoryRegistry, trustRegistry, waitUntilChecked } from '../e2e/story-helpers.js'

interface FeedItem {
  id: number
  type: string
  imageCode: string | null
  project: string | null
  version: string | null
  digest: string | null
  pinnedReference: string | null
  tag: string | null
  platforms: unknown[] | null
  actor: { tokenId: string | null; projects: string[] | null }
}
interface FeedPage {
  items: FeedItem[]
  nextCursor: string
  hasMore: boolean
}

const feed = async (app: TestApp, query = '', token?: string) => {
  const res = await app.call({ method: 'GET', url: `/v1/events${query}`, ...(token ? { token } : {}) })
  return { status: res.statusCode, body: res.json() as FeedPage & { code?: string } }
}

const createImage = (app: TestApp, code: string, ownerProject: string, extra: object = {}) =>
  app.call({ method: 'POST', url: '/v1/images', payload: { code, name: code, ownerProject, ...extra } })

/** Reads the whole feed from `after` page by page, as a consumer does. */
async function readAll(app: TestApp, token?: string, after?: string, limit = 3): Promise<{ items: FeedItem[]; cursor: string }> {
  const items: FeedItem[] = []
  let cursor = after
  for (;;) {
    const page = await feed(app, `?limit=${limit}${cursor ? `&after=${cursor}` : ''}`, token)
    if (page.status !== 200) throw new Error(`feed: ${page.status} ${JSON.stringify(page.body)}`)
    items.push(...page.body.items)
    cursor = page.body.nextCursor
    if (!page.body.hasMore) return { items, cursor }
  }
}

t.test('oldest first, paged by a cursor that is always there; events of every image for admin', async (t) => {
  const app = await build(t)
  for (const code of ['alpha-tools', 'beta-tools', 'gamma-tools']) t.equal((await createImage(app, code, 'team-a')).statusCode, 201)
  t.equal((await app.call({ method: 'PATCH', url: '/v1/images/beta-tools', payload: { summary: 'Beta' } })).statusCode, 200)

  const { items, cursor } = await readAll(app, undefined, undefined, 2)
  t.same(
    items.map((e) => [e.type, e.imageCode]),
    [
      ['image.associated', 'alpha-tools'],
      ['image.associated', 'beta-tools'],
      ['image.associated', 'gamma-tools'],
      ['image.updated', 'beta-tools']
    ]
  )
  t.ok(
    items.every((e, i) => i === 0 || e.id > items[i - 1]!.id),
    'ids increase'
  )
  t.equal(items[0]?.project, 'team-a', 'each event names its owner project')

  const caughtUp = await feed(app, `?after=${cursor}`)
  t.same(caughtUp.body.items, [], 'nothing new')
  t.equal(caughtUp.body.nextCursor, cursor, 'an empty page hands the same cursor back')
  t.equal(caughtUp.body.hasMore, false)

  await app.call({ method: 'PATCH', url: '/v1/images/gamma-tools', payload: { summary: 'Gamma' } })
  const next = await feed(app, `?after=${cursor}`)
  t.same(
    next.body.items.map((e) => [e.type, e.imageCode]),
    [['image.updated', 'gamma-tools']],
    'a stored cursor picks up exactly what came after it'
  )
})

t.test('filters: image, type and time', async (t) => {
  const app = await build(t)
  await createImage(app, 'alpha-tools', 'team-a')
  const between = new Date().toISOString()
  await createImage(app, 'beta-tools', 'team-a')
  await app.call({ method: 'PATCH', url: '/v1/images/alpha-tools', payload: { summary: 'A' } })

  const byImage = await feed(app, '?image=alpha-tools')
  t.same(
    byImage.body.items.map((e) => e.type),
    ['image.associated', 'image.updated']
  )
  const byType = await feed(app, '?type=image.updated&type=image.deleted')
  t.same(
    byType.body.items.map((e) => e.imageCode),
    ['alpha-tools']
  )
  const since = await feed(app, `?since=${between}`)
  t.same(
    since.body.items.map((e) => e.imageCode),
    ['beta-tools', 'alpha-tools']
  )
  const until = await feed(app, `?until=${between}`)
  t.same(
    until.body.items.map((e) => e.imageCode),
    ['alpha-tools']
  )
})

t.test('a token sees the events of images its projects may see, and of those they owned that are gone', async (t) => {
  const app = await build(t)
  const teamA = await app.token({ name: 'team-a-reader', scopes: ['images:read', 'images:write'], projects: ['team-a'] })
  const teamB = await app.token({ name: 'team-b-reader', scopes: ['images:read'], projects: ['team-b'] })
  await createImage(app, 'alpha-tools', 'team-a')
  await createImage(app, 'bravo-tools', 'team-b')
  await createImage(app, 'shared-tools', 'team-b', { visibility: { public: false, projects: ['team-a'] } })
  await createImage(app, 'public-tools', 'team-c', { visibility: { public: true } })

  const seenBy = async (token: string) => (await readAll(app, token)).items.map((e) => `${e.type} ${e.imageCode}`)
  t.same(await seenBy(teamA), ['image.associated alpha-tools', 'image.associated shared-tools', 'image.associated public-tools'])
  t.same(await seenBy(teamB), ['image.associated bravo-tools', 'image.associated shared-tools', 'image.associated public-tools'])

  t.equal((await app.call({ method: 'DELETE', url: '/v1/images/alpha-tools', token: teamA })).statusCode, 204)
  const afterDelete = await seenBy(teamA)
  t.same(afterDelete.slice(-1), ['image.deleted alpha-tools'], 'the owner project hears of the deletion')
  t.ok(afterDelete.includes('image.associated alpha-tools'), 'and still reads the history of the image it owned')
  t.notOk(
    (await seenBy(teamB)).some((e) => e.endsWith('alpha-tools')),
    'other projects never see it'
  )

  const resolver = await app.token({ name: 'engine', scopes: ['resolve'] })
  const refused = await feed(app, '', resolver)
  t.equal(refused.status, 403)
  t.equal(refused.body.code, 'INSUFFICIENT_SCOPE')
})

t.test('bad queries are 400 problems and read nothing', async (t) => {
  const app = await build(t)
  for (const query of ['?after=forged', '?limit=0', '?limit=501', '?type=released', '?since=yesterday', '?image=NOT_A_CODE', '?page=2']) {
    const res = await app.call({ method: 'GET', url: `/v1/events${query}` })
    t.equal(res.statusCode, 400, query)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', `${query}: problem+json`)
  }
})

t.test('a consumer polling while changes commit concurrently sees each event exactly once', async (t) => {
  const app = await build(t)
  const writers = Promise.all(
    Array.from({ length: 4 }, async (_, w) => {
      for (let i = 0; i < 6; i++) await createImage(app, `w${w}-image-${i}`, `team-${w}`)
    })
  )
  const seen: FeedItem[] = []
  let cursor: string | undefined
  let done = false
  void writers.then(() => (done = true))
  while (!done) {
    const page = await readAll(app, undefined, cursor, 5)
    seen.push(...page.items)
    cursor = page.cursor
  }
  seen.push(...(await readAll(app, undefined, cursor, 5)).items)
  const ids = seen.map((e) => e.id)
  t.equal(new Set(ids).size, ids.length, 'no event twice')
  t.equal(seen.length, 24, 'every event once')
  t.same(
    ids,
    [...ids].sort((a, b) => a - b),
    'in order'
  )
})

t.test('version events carry what a consumer needs to pull: digest, pinned reference, tag, platforms, actor', async (t) => {
  const registry = await startStoryRegistry(t, { auth: 'none' })
  const app = await build(t, { env: trustRegistry(registry) })
  const publisher = await app.token({ name: 'publisher', scopes: ['images:read', 'images:write'], projects: ['team-a'] })
  await pushImage(registry, { repository: 'ci/tools', tag: '1.0', kind: 'oci-image' })
  await createImage(app, 'team-tools', 'team-a')
  const submitted = await app.call({
    method: 'POST',
    url: '/v1/images/team-tools/versions',
    token: publisher,
    payload: { registry: registry.host, repository: 'ci/tools', tag: '1.0' }
  })
  t.equal(submitted.statusCode, 202)
  const checked = await waitUntilChecked(app, 'team-tools', '1.0.0', publisher)
  t.equal(checked.status, 'testing')
  t.equal((await app.call({ method: 'POST', url: '/v1/images/team-tools/versions/1.0.0/release', token: publisher })).statusCode, 200)

  const released = (await feed(app, '?type=version.released')).body.items
  t.equal(released.length, 1)
  const event = released[0]!
  t.equal(event.version, '1.0.0')
  t.equal(event.digest, checked.digest)
  t.equal(event.pinnedReference, `${registry.host}/ci/tools@${String(checked.digest)}`)
  t.equal(event.tag, '1.0')
  t.same(event.platforms, checked.platforms)
  t.same(event.actor.projects, ['team-a'], 'the actor with the projects it acted for')
  t.ok(event.actor.tokenId, 'by token id')
})
