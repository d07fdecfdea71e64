import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { ADMIN_TOKEN } from '../helpers/app.js'
import { announceChange, insertImage, insertVersion } from './fixtures.js'

// On the embedded database there is one process and no LISTEN: a change invalidates in
// process only, and the batched log writes go through PGlite.
t.test('embedded PGlite: resolve, a change and the resolution log', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cis-resolve-embedded-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const app = await buildApp({ config: loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', ADMIN_TOKEN }) })
  t.teardown(() => app.close())
  const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
  await insertVersion(app.db, image, '1.0.0', 'released')
  const resolve = () =>
    app.inject({
      method: 'GET',
      url: '/v1/images/tools/resolve?version=1.latest&project=payments&pipeline=p&build=b',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
    })

  t.equal((await resolve()).json().version, '1.0.0')
  await insertVersion(app.db, image, '1.1.0', 'released')
  await announceChange(app, image)
  t.equal((await resolve()).json().version, '1.1.0')

  await app.resolutionLog.flush()
  const rows = await app.db.selectFrom('resolutions').select(['version', 'pipeline', 'build']).orderBy('id').execute()
  t.same(rows, [
    { version: '1.0.0', pipeline: 'p', build: 'b' },
    { version: '1.1.0', pipeline: 'p', build: 'b' }
  ])
  const usage = await app.inject({
    method: 'GET',
    url: '/v1/images/tools/versions/1.1.0/usage',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
  })
  t.match(usage.json(), { projects: [{ project: 'payments', resolutions: 1 }] })
})
