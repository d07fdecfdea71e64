import t from 'tap'
import { imageReference, normaliseLocation, pinnedReference } from '../../src/versions/image-reference.js'
import type { ProblemError } from '../../src/http/problem.js'

// Pure, so the Docker Hub defaults are tested without the check worker contacting Docker Hub.
t.test('docker.io is the default registry, and library/ its default namespace', async (t) => {
  t.same(normaliseLocation({ repository: 'node', tag: '20' }), { registry: 'docker.io', repository: 'library/node', tag: '20' })
  t.same(normaliseLocation({ registry: '', repository: 'library/node', tag: '20' }), {
    registry: 'docker.io',
    repository: 'library/node',
    tag: '20'
  })
  t.same(normaliseLocation({ registry: 'Index.Docker.IO', repository: 'team/tools/builder', tag: 'v1' }), {
    registry: 'docker.io',
    repository: 'team/tools/builder',
    tag: 'v1'
  })
  t.same(
    normaliseLocation({ registry: 'Registry.Example.com:5000', repository: 'node', tag: 'V1' }),
    { registry: 'registry.example.com:5000', repository: 'node', tag: 'V1' },
    'no library/ outside Docker Hub; tags keep their case'
  )
})

t.test('references built from the parts', async (t) => {
  const at = { registry: 'registry.example.com', repository: 'ci/node', tag: '20.11-1' }
  t.equal(imageReference(at), 'registry.example.com/ci/node:20.11-1')
  t.equal(pinnedReference({ ...at, digest: null }), null)
  t.equal(pinnedReference({ ...at, digest: `sha256:${'a'.repeat(64)}` }), `registry.example.com/ci/node@sha256:${'a'.repeat(64)}`)
})

t.test('invalid parts are a 400 problem', async (t) => {
  const error = t.throws(() => normaliseLocation({ registry: 'r.example.com', repository: 'a'.repeat(250), tag: 'v1' })) as ProblemError
  t.equal(error.status, 400)
  t.equal(error.code, 'INVALID_IMAGE_REFERENCE')
  t.match(error.message, /longer than 255/)
})
