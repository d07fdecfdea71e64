import type { Feature } from '../http/feature.js'
import checksPlugin from './checks.plugin.js'

export { checkJobsQueue } from './check-queue.js'

export const checksFeature: Feature = { name: 'checks', schemas: [], plugin: checksPlugin }
