/**
 * Test databases: each test file gets a database of its own on the local PostgreSQL, created from
 * TEST_DATABASE_URL's server and dropped when the file's tests end, so files run in parallel
 * without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto'
import type { Test } from 'tap'
import { migratedTemplate } from './migrated-template.js'
import { admin, databaseUrl } from './test-server.js'

export { TEST_DATABASE_URL } from './test-server.js'

async function createDatabase(t: Test, template?: string): Promise<string> {
  const name = `cis_test_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`create database ${name}${template ? ` template ${template}` : ''}`))
  t.teardown(() => dropLater(name))
  return databaseUrl(name)
}

// Dropping a database waits for a checkpoint; the next test need not wait with it. The process
// does: the open session keeps it alive until the drop has finished.
function dropLater(name: string): void {
  admin((c) => c.query(`drop database if exists ${name} with (force)`)).catch((error: unknown) => {
    console.error(`# test database ${name} was not dropped: ${error instanceof Error ? error.message : String(error)}`)
  })
}

/** Creates an empty database and returns its URL; it is dropped in the test's teardown. */
export function freshDatabaseUrl(t: Test): Promise<string> {
  return createDatabase(t)
}

/**
 * A database with every migration applied, copied from a template migrated once per set of
 * migrations; for tests about the service, not about migrating (those take freshDatabaseUrl).
 */
export async function migratedDatabaseUrl(t: Test): Promise<string> {
  return createDatabase(t, await migratedTemplate())
}
