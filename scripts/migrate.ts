// `npm run migrate`: applies pending migrations to DATABASE_DIRECT_URL or DATABASE_URL (or the embedded
// database) and exits. Migrations take the direct URL when there is one: not through a transaction pooler.
// A failure it foresees is one line on stderr with the entry point's exit codes (78 a setting, 69 an
// unreachable database); anything else is a failed migration (exit 1).
import { loadConfig, type Config } from '../src/config.js'
import { openDatabase } from '../src/db/database.js'
import { migrateToLatest } from '../src/db/migrator.js'
import { checkDataDir, explainStartupFailure } from '../src/db/start-up.js'

let config: Config | undefined
try {
  config = loadConfig()
  if (!config.DATABASE_URL) checkDataDir(config.DATA_DIR)
  const handle = openDatabase({ databaseUrl: config.DATABASE_DIRECT_URL ?? config.DATABASE_URL, dataDir: config.DATA_DIR, poolMax: 1 })
  try {
    const result = await migrateToLatest(handle.db)
    const applied = (result.results ?? []).filter((r) => r.status === 'Success')
    process.stdout.write(applied.length ? applied.map((r) => `applied ${r.migrationName}\n`).join('') : 'database is up to date\n')
  } finally {
    await handle.close()
  }
} catch (error) {
  const setting = config?.DATABASE_DIRECT_URL ? 'DATABASE_DIRECT_URL' : 'DATABASE_URL'
  const failure = explainStartupFailure(error, config?.DATABASE_DIRECT_URL ?? config?.DATABASE_URL, setting)
  process.stderr.write(`${failure ? failure.line : `migration failed: ${(error as Error).message}`}\n`)
  process.exitCode = failure ? failure.exitCode : 1
}
