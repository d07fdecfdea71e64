/**
 * Test databases: each test file gets a database of its own on the local PostgreSQL, created from
 * TEST_DATABASE_URL's server and dropped when the file's tests end, so files run in parallel
 * without seeing each other's rows.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/** Creates an empty database and returns its URL; it is dropped in the test's teardown. */
export async function freshDatabaseUrl(t: Test): Promise<string> {
  const name = `cis_test_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`create database ${name}`))
  t.teardown(() => admin((c) => c.query(`drop database if exists ${name} with (force)`)))
  const url = new URL(TEST_DATABASE_URL)
  url.pathname = `/${name}`
  return url.toString()
}
