import fp from 'fastify-plugin'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { FastifyInstance } from 'fastify'
import type { DB } from './schema.js'
import { NotificationListener } from './notification-listener.js'

export interface Notifications {
  /** Handle `channel`'s notifications; register while the app loads, before it is ready. */
  on(channel: string, handler: (payload: string) => void): void
  /** Runs on every (re)connection of the LISTEN connection: notifications sent meanwhile were missed. */
  onConnect(handler: () => void): void
  /**
   * False while other replicas' notifications cannot be heard (the LISTEN connection is down), so
   * caches should trust their entries only briefly. Always true on the embedded database: one
   * process, no other replica to hear.
   */
  readonly hearsOthers: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    notifications: Notifications
  }
}

/**
 * Sends a notification, delivered to every replica (this one included) when `db`'s transaction
 * commits, so pass the transaction that makes the change. Nothing is sent if it rolls back.
 */
export async function notify(db: Kysely<DB> | Transaction<DB>, channel: string, payload: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${payload})`.execute(db)
}

// One LISTEN connection per replica, shared by every feature, on real PostgreSQL only: the
// embedded database lives in this one process, so there is nobody else to hear.
export default fp(
  async function notifications(app: FastifyInstance) {
    const url = app.database.kind === 'postgres' ? app.database.url : undefined
    if (!url) {
      app.decorate('notifications', { on: () => {}, onConnect: () => {}, hearsOthers: true })
      return
    }
    const listener = new NotificationListener({ url, log: app.log })
    app.decorate('notifications', {
      on: (channel: string, handler: (payload: string) => void) => listener.on(channel, handler),
      onConnect: (handler: () => void) => listener.onConnect(handler),
      get hearsOthers() {
        return listener.connected
      }
    })
    // Every feature has registered its channels by now.
    app.addHook('onReady', async () => listener.start())
    app.addHook('onClose', async () => listener.close())
  },
  { name: 'notifications', dependencies: ['database'] }
)
