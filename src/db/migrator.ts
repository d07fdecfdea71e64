import { Migrator, type Kysely, type MigrationResultSet } from 'kysely'
import { migrations } from '../../migrations/index.js'

// Migrations work on the database as it was at their time, not on today's typed schema.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>

// Migrations are imported statically rather than read from a folder, so the same list works under
// tsx, from the compiled dist/ and inside the container image.
function migrator(db: AnyDb): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } })
}

/**
 * Brings the schema up to date. Kysely's Postgres adapter takes a session-level advisory lock for the
 * whole run, so replicas starting together wait for each other instead of racing; behind a
 * transaction pooler, pass a direct connection (database.plugin.ts does).
 */
export async function migrateToLatest(db: AnyDb): Promise<MigrationResultSet> {
  const result = await migrator(db).migrateToLatest()
  if (result.error) throw result.error
  return result
}

/** True when every known migration has been applied (used by /readyz). */
export async function migrationsApplied(db: AnyDb): Promise<boolean> {
  const known = await migrator(db).getMigrations()
  return known.every((m) => m.executedAt !== undefined)
}
