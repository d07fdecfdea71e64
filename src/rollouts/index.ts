import type { Feature } from '../http/feature.js'

// Staged rollouts of released versions: routes, automatic advance, and who a rollout reaches.
export const rolloutsFeature: Feature = {
  name: 'rollouts',
  schemas: [],
  plugin: async () => {}
}
