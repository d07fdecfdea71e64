import t, { type Test } from 'tap'
import pg from 'pg'
import { sql } from 'kysely'
import { build, type TestApp } from '../helpers/app.js'
import { createCredential, createImage, push, registryEnv, startTestRegistry, submit } from './fixtures.js'

// A row the submission refers to (its image, its credential) is deleted by another transaction
// while the submission runs. The other transaction holds the row's lock, so the submission's
// insert waits on the foreign-key check; when the delete commits, the insert fails on that key.
// The answer must name the row that went away, and nothing of the submission may remain.

/** Runs `statement` in an open transaction of its own; commit() ends it (teardown rolls it back). */
async function deleteInOpenTransaction(t: Test, databaseUrl: string, statement: string, values: unknown[]) {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  let ended = false
  // A failure before commit() must not leave the lock held: the submission would wait forever.
  t.teardown(() => (ended ? undefined : client.end()))
  await client.query('begin')
  const { rowCount } = await client.query(statement, values)
  return {
    rowCount,
    pid: (await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid,
    commit: async () => {
      await client.query('commit')
      ended = true
      await client.end()
    }
  }
}

/** Waits until some session is blocked by the session `pid` (the submission's insert). */
async function waitUntilBlockedBy(app: TestApp, pid: number): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const { rows } = await sql<{
      n: number
    }>`select count(*)::int as n from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))`.execute(app.app.db)
    if (rows[0]!.n > 0) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error('the submission never waited on the deleted row')
}

t.test('a row deleted while a version is submitted', async (t) => {
  const registry = await startTestRegistry(t)
  await push(registry, 'team/race', '1.0')
  const one = await build(t, { env: registryEnv(registry) })
  const location = { registry: registry.host, repository: 'team/race', tag: '1.0' }
  const versionCount = async () => (await sql<{ n: number }>`select count(*)::int as n from image_versions`.execute(one.app.db)).rows[0]!.n

  t.test('the image: 404 IMAGE_NOT_FOUND saying it was deleted, not a credential problem', async (t) => {
    await createImage(one, { code: 'vanishing' })
    const deletion = await deleteInOpenTransaction(t, one.databaseUrl, 'delete from images where code = $1', ['vanishing'])
    t.equal(deletion.rowCount, 1)
    const pending = submit(one, 'vanishing', location)
    await waitUntilBlockedBy(one, deletion.pid)
    await deletion.commit()
    const res = await pending
    t.equal(res.statusCode, 404)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { code: 'IMAGE_NOT_FOUND', image: 'vanishing', detail: /was deleted while this version was being submitted/ })
    t.equal(await versionCount(), 0, 'no version row')
  })

  t.test('the credential: 404 CREDENTIAL_NOT_FOUND', async (t) => {
    await createImage(one, { code: 'kept' })
    const credentialId = await createCredential(one, 'payments-ci', { username: 'ci', password: 'pw', registries: [registry.host] })
    const deletion = await deleteInOpenTransaction(t, one.databaseUrl, 'delete from registry_credentials where id = $1', [credentialId])
    t.equal(deletion.rowCount, 1)
    // chooseCredential() still sees the credential (the delete is not committed yet); the insert
    // is what waits for it.
    const pending = submit(one, 'kept', { ...location, credentialId })
    await waitUntilBlockedBy(one, deletion.pid)
    await deletion.commit()
    const res = await pending
    t.equal(res.statusCode, 404)
    t.match(res.json(), { code: 'CREDENTIAL_NOT_FOUND' })
    t.equal(await versionCount(), 0, 'no version row')
    t.equal((await submit(one, 'kept', location)).statusCode, 202, 'the image itself is unharmed')
  })
})
