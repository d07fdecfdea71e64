/**
 * One database migrated by the service's own migrator, kept on the test server as a template: copying
 * it is much cheaper than migrating every test's database. Its name carries a digest of the
 * migrations folder, so a changed or added migration makes a new template, and stale ones are dropped.
 */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { openDatabase } from '../../src/db/database.js'
import { migrateToLatest } from '../../src/db/migrator.js'
import { admin, databaseUrl } from './test-server.js'

const MIGRATIONS = new URL('../../migrations/', import.meta.url).pathname
const PREFIX = 'cis_template_'
// Any fixed number: it only keeps test processes from building the same template at once.
const BUILD_LOCK = 4_711_302

function migrationsDigest(): string {
  const hash = createHash('sha256')
  // The sources only: a compiled tree (scripts/test-build.mjs) has a .js beside each, same template.
  for (const file of readdirSync(MIGRATIONS)
    .filter((name) => name.endsWith('.ts'))
    .sort())
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(MIGRATIONS, file)))
  return hash.digest('hex').slice(0, 16)
}

let template: Promise<string> | undefined

/** The template's name, built first if no test process has built it yet. */
export function migratedTemplate(): Promise<string> {
  template ??= ensureTemplate().catch((error: unknown) => {
    template = undefined
    throw error
  })
  return template
}

async function ensureTemplate(): Promise<string> {
  // The day too: the migrations create the log's partitions for the days around the one they run on.
  const name = `${PREFIX}${migrationsDigest()}_${new Date().toISOString().slice(0, 10).replaceAll('-', '')}`
  return admin(async (c) => {
    const exists = async () => (await c.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1
    if (await exists()) return name
    await c.query('select pg_advisory_lock($1)', [BUILD_LOCK])
    try {
      if (await exists()) return name
      // Built under another name and renamed when complete: a run killed halfway leaves no template
      // that looks finished.
      const building = `${name}_building`
      await c.query(`drop database if exists ${building} with (force)`)
      await c.query(`create database ${building}`)
      const handle = openDatabase({ databaseUrl: databaseUrl(building), dataDir: '.', poolMax: 1 })
      try {
        await migrateToLatest(handle.db)
      } finally {
        await handle.close()
      }
      await c.query(`alter database ${building} rename to ${name}`)
      const stale = await c.query<{ datname: string }>(
        `select datname from pg_database where datname like '${PREFIX}%' and datname <> $1`,
        [name]
      )
      // A stale template still being copied by a run of older code is left for a later run to drop.
      for (const { datname } of stale.rows) await c.query(`drop database if exists ${datname}`).catch(() => {})
      return name
    } finally {
      await c.query('select pg_advisory_unlock($1)', [BUILD_LOCK])
    }
  })
}
