import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { openDatabase, type Database, type DatabaseHandle } from './database.js'
import { migrateToLatest } from './migrator.js'
import { DirectConnectionFailure } from './start-up.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Database
    database: DatabaseHandle
  }
}

export interface DatabasePluginOptions {
  handle: DatabaseHandle
  /** Close the handle with the app (false when a test shares one handle between apps). */
  owned: boolean
  migrate: boolean
}

export default fp<DatabasePluginOptions>(
  async function database(app: FastifyInstance, options) {
    if (options.migrate) {
      const result = await migrate(options.handle)
      for (const m of result.results ?? []) app.log.info({ migration: m.migrationName, status: m.status }, 'migration')
    }
    app.decorate('db', options.handle.db)
    app.decorate('database', options.handle)
    if (options.owned) app.addHook('onClose', async () => options.handle.close())
  },
  { name: 'database' }
)

// Behind a transaction pooler, migrations go over one direct connection of their own: Kysely's
// migration lock is a session-level advisory lock, which a pooler would take on one server
// connection and release on another (or leave held for a stranger's session).
async function migrate(handle: DatabaseHandle) {
  if (!handle.pooled || !handle.url) return migrateToLatest(handle.db)
  const direct = openDatabase({ databaseUrl: handle.url, dataDir: '.', poolMax: 1 })
  try {
    return await migrateToLatest(direct.db)
  } catch (error) {
    throw new DirectConnectionFailure(error, handle.url)
  } finally {
    await direct.close()
  }
}
