import type { Feature } from '../http/feature.js'
import { rolloutAdvanceCounter } from './rollout-metrics.js'
import rolloutSchedulerPlugin from './rollout-scheduler.plugin.js'
import rolloutsRoutes from './rollouts.routes.js'
import { rolloutSchemas } from './rollouts.schemas.js'

export { releaseRollouts } from './release-rollouts.js'

// Staged rollouts of released versions: routes, automatic advance, and who a rollout reaches.
export const rolloutsFeature: Feature = {
  name: 'rollouts',
  schemas: rolloutSchemas,
  plugin: async (app) => {
    const onAdvanced = rolloutAdvanceCounter(app.metrics)
    await app.register(rolloutSchedulerPlugin, { onAdvanced })
    await app.register(rolloutsRoutes, { onAdvanced })
  }
}
