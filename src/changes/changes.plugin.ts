import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { CHANGES_CHANNEL } from './change.js'
import { ChangeBus, type ChangeNotifier } from './change-bus.js'

export type { ChangeListener, ChangeNotifier } from './change-bus.js'

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * The one notifier of committed state changes, this replica's and (through the shared LISTEN
     * connection) every other's: resolve's cache, the check worker and, later, webhooks subscribe.
     */
    changes: ChangeNotifier
  }
}

export default fp(
  async function changes(app: FastifyInstance) {
    const bus = new ChangeBus(app.log, app.database.kind === 'postgres')
    app.decorate('changes', bus)
    app.notifications.on(CHANGES_CHANNEL, (payload) => void bus.heard(payload))
    app.notifications.onConnect(() => bus.missed())
  },
  { name: 'changes', dependencies: ['database', 'notifications'] }
)
