import t from 'tap'
import { searchTerms } from '../../src/images/image-search.js'
import { ifMatchAllows, imageETag } from '../../src/images/image-etag.js'
import { imageChanges } from '../../src/images/image-changes.js'
import { imageLines } from '../../src/versions/image-lines.js'
import { canSeeImage, isVisibleTo, readableLogProjects, requireImageManager } from '../../src/images/image-access.js'
import type { Principal } from '../../src/auth/scopes.js'

t.test('searchTerms: one quoted prefix term per word, quotes and backslashes escaped, punctuation-only words dropped', async (t) => {
  t.same(searchTerms('Node  build'), ["'node':*", "'build':*"])
  t.same(searchTerms("o'brien"), ["'o''brien':*"])
  t.same(searchTerms('a\\b'), ["'a\\\\b':*"])
  t.same(searchTerms("node-20 & | ! ( ) :* '"), ["'node-20':*"])
  t.same(searchTerms('--- ***'), [])
  t.equal(searchTerms(Array.from({ length: 30 }, (_, i) => `w${i}`).join(' ')).length, 10, 'at most 10 words')
})

t.test('ETag and If-Match: strong comparison on "r<revision>"', async (t) => {
  t.equal(imageETag(3), '"r3"')
  t.ok(ifMatchAllows(undefined, 3), 'no header: unconditional')
  t.ok(ifMatchAllows('"r3"', 3))
  t.ok(ifMatchAllows('"r1", "r3"', 3))
  t.ok(ifMatchAllows('*', 3))
  t.notOk(ifMatchAllows('"r2"', 3))
  t.notOk(ifMatchAllows('W/"r3"', 3), 'weak tags never match')
  t.notOk(ifMatchAllows('r3', 3), 'unquoted is not an entity tag')
  t.notOk(ifMatchAllows('', 3))
})

const current = {
  id: 'i',
  code: 'node-20',
  name: 'Node',
  ownerProject: 'pay',
  debugProject: 'pay',
  credentialId: null,
  summary: 's',
  description: null,
  labels: ['a', 'b'],
  visibilityPublic: false,
  visibilityProjects: ['x'],
  signatureKeys: [],
  approval: null,
  minTestingTime: null,
  revision: 4,
  lastReleasedAt: null,
  createdAt: new Date(0),
  createdBy: 'alice',
  updatedAt: new Date(0)
}

t.test('imageChanges: only real differences, each as from → to', async (t) => {
  t.same(imageChanges(current, { name: 'Node', labels: ['a', 'b'], visibility: { public: false } }), { set: {}, changes: {} })
  const { set, changes } = imageChanges(current, {
    name: 'Node 20',
    summary: null,
    credentialId: '5d0f3a52-8c1e-4b7a-9f2e-6a4b1c9d7e30',
    labels: ['b', 'a'],
    visibility: { public: true, projects: ['x', 'y'] }
  })
  t.same(set, {
    name: 'Node 20',
    summary: null,
    credentialId: '5d0f3a52-8c1e-4b7a-9f2e-6a4b1c9d7e30',
    labels: ['b', 'a'],
    visibilityPublic: true,
    visibilityProjects: ['x', 'y']
  })
  t.same(changes, {
    name: { from: 'Node', to: 'Node 20' },
    summary: { from: 's', to: null },
    credentialId: { from: null, to: '5d0f3a52-8c1e-4b7a-9f2e-6a4b1c9d7e30' },
    labels: { from: ['a', 'b'], to: ['b', 'a'] },
    'visibility.public': { from: false, to: true },
    'visibility.projects': { from: ['x'], to: ['x', 'y'] }
  })
})

t.test('imageChanges: signature keys compared by name and fingerprint, recorded without their PEM', async (t) => {
  const key = (name: string, hex: string) => ({
    name,
    algorithm: 'ed25519' as const,
    publicKey: `-----BEGIN PUBLIC KEY-----\n${hex}\n-----END PUBLIC KEY-----\n`,
    fingerprint: `sha256:${hex.repeat(64)}`
  })
  const withKeys = { ...current, signatureKeys: [key('a', '1'), key('b', '2')] }
  t.same(imageChanges(withKeys, {}, [key('a', '1'), key('b', '2')]), { set: {}, changes: {} }, 'the same keys: no change')
  t.same(imageChanges(withKeys, { name: 'Node' }), { set: {}, changes: {} }, 'keys not sent: untouched')
  const reordered = imageChanges(withKeys, {}, [key('b', '2'), key('a', '1')])
  t.same(
    reordered.changes,
    {
      signatureKeys: {
        from: [
          { name: 'a', fingerprint: key('a', '1').fingerprint },
          { name: 'b', fingerprint: key('b', '2').fingerprint }
        ],
        to: [
          { name: 'b', fingerprint: key('b', '2').fingerprint },
          { name: 'a', fingerprint: key('a', '1').fingerprint }
        ]
      }
    },
    'the order is the order the view shows, so it is a change'
  )
  t.same(JSON.parse(reordered.set.signatureKeys ?? 'null'), [key('b', '2'), key('a', '1')], 'stored whole, as JSON')
  const renamed = imageChanges(withKeys, {}, [key('first', '1'), key('b', '2')])
  t.same(renamed.changes.signatureKeys?.to, [
    { name: 'first', fingerprint: key('a', '1').fingerprint },
    { name: 'b', fingerprint: key('b', '2').fingerprint }
  ])
  t.same(imageChanges(withKeys, {}, []).changes.signatureKeys?.to, [], 'cleared')
})

t.test('imageLines: per major, newest release and version in progress, highest major first', async (t) => {
  t.same(imageLines({ released: [], inProgress: [] }), [])
  const at = new Date('2026-11-20T10:00:00.123Z')
  t.same(
    imageLines({
      released: [
        { major: 2, minor: 0, patch: 1, releasedAt: at },
        { major: 1, minor: 10, patch: 0, releasedAt: null }
      ],
      inProgress: [
        { major: 3, minor: 0, patch: 0, status: 'checking' },
        { major: 1, minor: 10, patch: 1, status: 'testing' }
      ]
    }),
    [
      { major: 3, latest: null, inProgress: { version: '3.0.0', status: 'checking' } },
      { major: 2, latest: { version: '2.0.1', releasedAt: '2026-11-20T10:00:00.123Z' }, inProgress: null },
      { major: 1, latest: { version: '1.10.0', releasedAt: null }, inProgress: { version: '1.10.1', status: 'testing' } }
    ]
  )
})

t.test('canSeeImage: admin and unrestricted tokens see all; limited tokens what is visible to one of their projects', async (t) => {
  const p = (projects: string[] | null, scopes: Principal['scopes'] = ['images:read']): Principal => ({
    tokenId: 't',
    name: 'n',
    scopes,
    projects,
    expiresAt: null
  })
  const image = { ownerProject: 'own', debugProject: 'dbg', visibilityPublic: false, visibilityProjects: ['vis'] }
  t.ok(canSeeImage(p(null), image))
  t.ok(canSeeImage(p(['other'], ['admin']), image))
  for (const project of ['own', 'dbg', 'vis']) t.ok(canSeeImage(p(['other', project]), image), project)
  t.notOk(canSeeImage(p(['other']), image))
  t.ok(canSeeImage(p(['other']), { ...image, visibilityPublic: true }))
  t.ok(isVisibleTo(image, 'vis'))
})

t.test('requireImageManager: images:write and the owner project; debug and shared projects see but never change', async (t) => {
  const p = (projects: string[] | null, scopes: Principal['scopes'] = ['images:write']): Principal => ({
    tokenId: 't',
    name: 'owner-name',
    scopes,
    projects,
    expiresAt: null
  })
  const image = { code: 'node-20', ownerProject: 'own' }
  t.doesNotThrow(() => requireImageManager(p(['own']), image))
  t.doesNotThrow(() => requireImageManager(p(['other', 'own']), image))
  t.doesNotThrow(() => requireImageManager(p(null), image), 'a token for every project')
  t.doesNotThrow(() => requireImageManager(p(['other'], ['admin']), image))
  t.throws(() => requireImageManager(p(['own'], ['images:read']), image), { code: 'INSUFFICIENT_SCOPE', status: 403 })
  for (const project of ['dbg', 'vis', 'other'])
    t.throws(() => requireImageManager(p([project]), image), { code: 'NOT_IMAGE_OWNER', status: 403 }, project)
})

t.test('readableLogProjects: owner project and admin read every row, a consumer its own rows, others nothing', async (t) => {
  const p = (projects: string[] | null, scopes: Principal['scopes'] = ['images:read']): Principal => ({
    tokenId: 't',
    name: 'n',
    scopes,
    projects,
    expiresAt: null
  })
  const image = { ownerProject: 'own', debugProject: 'dbg', visibilityPublic: false, visibilityProjects: ['vis'] }
  t.same(readableLogProjects(p(['own']), image), { all: true })
  t.same(readableLogProjects(p(null), image), { all: true })
  t.same(readableLogProjects(p(['x'], ['admin']), image), { all: true })
  t.same(readableLogProjects(p(['dbg']), image), { projects: ['dbg'] }, 'the debug project is a consumer')
  t.same(readableLogProjects(p(['vis', 'x']), image), { projects: ['vis'] })
  t.equal(readableLogProjects(p(['x']), image), undefined)
  t.same(
    readableLogProjects(p(['x']), { ...image, visibilityPublic: true }),
    { projects: ['x'] },
    'a public image: each project reads its own rows'
  )
})
