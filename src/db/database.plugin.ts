import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Database, DatabaseHandle } from './database.js'
import { migrateToLatest } from './migrator.js'

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
      const result = await migrateToLatest(options.handle.db)
      for (const m of result.results ?? []) app.log.info({ migration: m.migrationName, status: m.status }, 'migration')
    }
    app.decorate('db', options.handle.db)
    app.decorate('database', options.handle)
    if (options.owned) app.addHook('onClose', async () => options.handle.close())
  },
  { name: 'database' }
)
