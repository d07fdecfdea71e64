import t from 'tap'
import { build } from '../helpers/app.js'
import { insertImage, insertVersion } from '../resolve/fixtures.js'

// Only an image none of whose versions was ever released can be deleted, so its log holds the
// debug project's resolutions of testing versions: they go with it, other images' rows stay.
t.test('deleting an image deletes its resolution log, and only its', async (t) => {
  const { app, call } = await build(t)
  const trial = await insertImage(app.db, 'trial', { debugProject: 'debug-proj' })
  await insertVersion(app.db, trial, '1.0.0', 'testing')
  const kept = await insertImage(app.db, 'kept', { visibilityPublic: true })
  await insertVersion(app.db, kept, '1.0.0', 'released')
  for (const url of [
    '/v1/images/trial/resolve?version=1.latest&project=debug-proj&build=t1',
    '/v1/images/kept/resolve?version=1.latest&project=payments&build=k1'
  ])
    t.equal((await call({ method: 'GET', url })).statusCode, 200, url)
  await app.resolutionLog.flush()
  const logOf = async (imageId: string) =>
    (await app.db.selectFrom('resolutions').select('build').where('imageId', '=', imageId).execute()).map((r) => r.build)
  t.same(await logOf(trial.id), ['t1'])

  t.equal((await call({ method: 'DELETE', url: '/v1/images/trial' })).statusCode, 204)
  t.same(await logOf(trial.id), [], "the deleted image's log is gone when the deletion is answered")
  t.same(await logOf(kept.id), ['k1'], "another image's log stays")
})
