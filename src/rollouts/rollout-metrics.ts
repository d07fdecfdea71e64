import { Counter, type Registry } from 'prom-client'

const TRIGGERS = ['manual', 'automatic'] as const

/** Rollout advances (completions included), by hand or by the service; told after each commit. */
export function rolloutAdvanceCounter(registry: Registry): (automatic: boolean) => void {
  const advances = new Counter({
    name: 'ci_image_store_rollout_advances_total',
    help: 'Staged rollouts advanced by a stage (the last one completes it), by trigger: manual (POST …/rollout/advance) or automatic (after advanceAfter)',
    labelNames: ['trigger'],
    registers: [registry]
  })
  for (const trigger of TRIGGERS) advances.inc({ trigger }, 0)
  return (automatic) => advances.inc({ trigger: automatic ? 'automatic' : 'manual' })
}
