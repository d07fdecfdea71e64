import t from 'tap'
import { build } from '../helpers/app.js'
import { createImage } from '../versions/fixtures.js'
import { eventsOf, verificationJob, verifyNow } from './fixtures.js'

const DIGEST = `sha256:${'cd'.repeat(32)}`

t.test('POST .../verify', async (t) => {
  // No worker: what the route does to the queue stays visible.
  const app = await build(t, { env: { VERIFY_ENABLED: 'false' } })
  await createImage(app, { code: 'verify-me' })
  const image = await app.app.db.selectFrom('images').select('id').where('code', '=', 'verify-me').executeTakeFirstOrThrow()
  const base = { imageId: image.id, registry: 'registry.example.com', repository: 'ci/node', submittedBy: 'admin', patch: 0 }
  const rows = await app.app.db
    .insertInto('imageVersions')
    .values([
      { ...base, major: 1, minor: 0, tag: '1.0', status: 'released', digest: DIGEST, releasedAt: new Date(), platforms: '[]' },
      { ...base, major: 1, minor: 1, tag: '1.1', status: 'withdrawn', digest: DIGEST, platforms: '[]' },
      { ...base, major: 1, minor: 2, tag: '1.2', status: 'checking' }
    ])
    .returning(['id', 'minor'])
    .execute()
  const released = rows.find((r) => r.minor === 0)!.id

  t.test('202 with the Version view; the job is due now; version.verification_requested by the caller', async (t) => {
    const owner = await app.token({ name: 'publisher', scopes: ['images:read', 'images:write'], projects: ['payments-ci'] })
    const before = Date.now()
    const res = await verifyNow(app, 'verify-me', '1.0.0', owner)
    t.equal(res.statusCode, 202)
    t.match(res.json(), { imageCode: 'verify-me', version: '1.0.0', status: 'released', digest: DIGEST })
    const job = await verificationJob(app, released)
    t.ok(job && job.runAt.getTime() <= Date.now() && job.runAt.getTime() >= before - 1000, 'due now')
    t.equal(job?.attempts, 0)
    const [event] = await eventsOf(app, 'verify-me', 'version.verification_requested')
    t.match(event, { details: {}, actor: 'publisher' })
  })

  t.test('a verification under way is superseded: new job id, lease cleared', async (t) => {
    const job = await verificationJob(app, released)
    await app.app.db
      .updateTable('checkJobs')
      .set({ lockedBy: 'elsewhere', lockedUntil: new Date(Date.now() + 60_000), attempts: 1 })
      .where('id', '=', job!.id)
      .execute()
    t.equal((await verifyNow(app, 'verify-me')).statusCode, 202)
    const after = await verificationJob(app, released)
    t.not(after?.id, job?.id)
    t.match(after, { lockedBy: null, lockedUntil: null, attempts: 0 })
  })

  t.test('409 for a version that is not testing or released', async (t) => {
    for (const [version, status] of [
      ['1.1.0', 'withdrawn'],
      ['1.2.0', 'checking']
    ] as const) {
      const res = await verifyNow(app, 'verify-me', version)
      t.equal(res.statusCode, 409)
      t.match(res.json(), { code: 'VERSION_STATUS_CONFLICT', version, currentStatus: status, allowedActions: Array })
      t.match(res.headers['content-type'], /application\/problem\+json/)
    }
    const jobs = await app.app.db.selectFrom('checkJobs').select('versionId').where('kind', '=', 'verification').execute()
    t.same(
      jobs.map((j) => j.versionId),
      [released],
      'no job for them'
    )
  })

  t.test('404s and 400 as the other version routes', async (t) => {
    t.match((await verifyNow(app, 'verify-me', '9.9.9')).json(), { status: 404, code: 'VERSION_NOT_FOUND' })
    t.match((await verifyNow(app, 'no-such-image', '1.0.0')).json(), { status: 404, code: 'IMAGE_NOT_FOUND' })
    const other = await app.token({ name: 'stranger', scopes: ['images:read', 'images:write'], projects: ['elsewhere'] })
    t.match(
      (await verifyNow(app, 'verify-me', '1.0.0', other)).json(),
      { status: 404, code: 'IMAGE_NOT_FOUND' },
      'private image of another project'
    )
    t.equal((await verifyNow(app, 'verify-me', 'one')).statusCode, 400)
  })

  t.test('401 without a token; 403 without images:write or for a project that does not own the image', async (t) => {
    const anonymous = await app.call({ method: 'POST', url: '/v1/images/verify-me/versions/1.0.0/verify', token: null })
    t.equal(anonymous.statusCode, 401)
    const reader = await app.token({ name: 'reader', scopes: ['images:read'], projects: ['payments-ci'] })
    t.match((await verifyNow(app, 'verify-me', '1.0.0', reader)).json(), { status: 403, code: 'INSUFFICIENT_SCOPE' })
    const debug = await app.token({ name: 'debugger', scopes: ['images:read', 'images:write'], projects: ['payments-sandbox'] })
    t.match((await verifyNow(app, 'verify-me', '1.0.0', debug)).json(), { status: 403, code: 'NOT_IMAGE_OWNER' })
    t.equal((await eventsOf(app, 'verify-me', 'version.verification_requested')).length, 2, 'refused calls wrote nothing')
  })
})
