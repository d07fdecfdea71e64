import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { RolloutScheduler } from './rollout-scheduler.js'

/** Starts this replica's rollout scheduler when the app is ready and stops it before the database closes. */
export default fp<{ onAdvanced: (automatic: boolean) => void }>(
  async function rolloutScheduler(app: FastifyInstance, { onAdvanced }) {
    const scheduler = new RolloutScheduler({
      db: app.db,
      changes: app.changes,
      log: app.log.child({ component: 'rollout-scheduler' }),
      pollIntervalMs: app.config.ROLLOUT_POLL_INTERVAL_MS,
      onAdvanced
    })
    app.addHook('onReady', async () => scheduler.start())
    app.addHook('preClose', async () => scheduler.stop())
    app.addHook('onClose', async () => scheduler.stop())
  },
  { name: 'rollout-scheduler', dependencies: ['database', 'changes'] }
)
