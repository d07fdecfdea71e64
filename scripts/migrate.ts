// `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits.
import { loadConfig, ConfigError } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrator.js'

try {
  const config = loadConfig()
  const handle = openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 1 })
  try {
    const result = await migrateToLatest(handle.db)
    const applied = (result.results ?? []).filter((r) => r.status === 'Success')
    process.stdout.write(applied.length ? applied.map((r) => `applied ${r.migrationName}\n`).join('') : 'database is up to date\n')
  } finally {
    await handle.close()
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `migration failed: ${(error as Error).message}`}\n`)
  process.exitCode = 1
}
