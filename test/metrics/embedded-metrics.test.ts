import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { TEST_CREDENTIALS_KEY } from '../helpers/app.js'
import { parseExposition } from './exposition.js'

t.test('on the embedded database: no pool families, the queue read all the same', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cis-metrics-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', METRICS_PUBLIC: 'true', CREDENTIALS_KEY: TEST_CREDENTIALS_KEY })
  const app = await buildApp({ config, onAdminTokenCreated: () => {} })
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  const m = parseExposition(res.body)
  t.notOk(m.types.has('ci_image_store_database_pool_connections'), 'no pool to report')
  t.equal(m.value('ci_image_store_check_queue_jobs', { state: 'due' }), 0)
  t.equal(m.value('ci_image_store_check_queue_oldest_due_age_seconds'), 0)
  t.equal(m.value('ci_image_store_listen_connected'), 1, 'one process: nobody else to hear')
  t.equal(m.value('ci_image_store_ready'), 1)
})
