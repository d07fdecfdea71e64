import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'

// With no DATABASE_URL the service runs on PGlite stored under DATA_DIR: the same migrations and
// the same code above the dialect. This proves a bare machine gets a working, persistent service.
t.test('embedded PGlite: migrations, bootstrap token, a request, and persistence across restarts', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'cis-embedded-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const config = loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' })

  const announced: string[] = []
  const first = await buildApp({ config, onAdminTokenCreated: (token) => announced.push(token) })
  t.equal(announced.length, 1, 'an admin token is announced on the first start')
  const ready = await first.inject({ method: 'GET', url: '/readyz' })
  t.same(ready.json(), { status: 'ready', mode: 'normal', database: 'reachable', backend: 'embedded' })
  const who = await first.inject({ method: 'GET', url: '/v1/whoami', headers: { authorization: `Bearer ${announced[0]}` } })
  t.equal(who.statusCode, 200)
  t.equal(who.json<{ name: string }>().name, 'admin')
  const created = await first.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: { authorization: `Bearer ${announced[0]}` },
    payload: { name: 'kept', scopes: ['resolve'] }
  })
  t.equal(created.statusCode, 201)
  await first.close()

  const second = await buildApp({ config, onAdminTokenCreated: (token) => announced.push(token) })
  t.teardown(() => second.close())
  t.equal(announced.length, 1, 'no second token on a later start')
  const kept = await second.inject({
    method: 'GET',
    url: '/v1/whoami',
    headers: { authorization: `Bearer ${created.json<{ token: string }>().token}` }
  })
  t.equal(kept.statusCode, 200, 'data survived the restart')
})
