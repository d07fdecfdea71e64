import t from 'tap'
import { sql } from 'kysely'
import pg from 'pg'
import { openDatabase } from '../../src/db/database.js'
import { isDatabaseUnavailable } from '../../src/db/unavailable.js'
import { TEST_DATABASE_URL } from '../helpers/database.js'

// A server lost while a client is checked out of the pool (inside a transaction, between two
// queries) must not crash the process: tap fails this test on an uncaught exception.
t.test('a connection lost between two queries of a transaction is an error of the transaction, not of the process', async (t) => {
  const handle = openDatabase({ databaseUrl: TEST_DATABASE_URL, dataDir: '/nonexistent', poolMax: 2 })
  t.teardown(() => handle.close())
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await admin.connect()
  t.teardown(() => admin.end())

  const failure = await handle.db
    .transaction()
    .execute(async (trx) => {
      const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid])
      // The client hears its connection end while no query of it is running.
      await new Promise((resolve) => setTimeout(resolve, 200))
      await sql`select 1`.execute(trx)
    })
    .then(
      () => undefined,
      (error: unknown) => error
    )
  t.ok(failure instanceof Error, 'the transaction fails')
  t.ok(isDatabaseUnavailable(failure), `and is recognised as the database being unavailable: ${(failure as Error).message}`)

  const { rows } = await sql<{ one: number }>`select 1 as one`.execute(handle.db)
  t.equal(rows[0]?.one, 1, 'the pool serves the next query on a new connection')
})
