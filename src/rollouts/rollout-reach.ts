import type { RolloutPlan } from '../versions/rollout-plan.js'

// Who a rollout has reached so far. Pure and cheap: resolve asks it for every job start of an image
// while one of its versions rolls out.

/** What stages 0..stage of a plan reach together: listed projects, and the first `percent` of the rest. */
export interface RolloutReach {
  readonly projects: ReadonlySet<string>
  /** 0–100: a project is reached when its bucket (of 10,000) is below percent × 100. */
  readonly percent: number
}

/** The reach of a plan with stages 0..stage reached (stage ≥ stages.length: everyone). */
export function reachOf(plan: RolloutPlan, stage: number): RolloutReach {
  if (stage >= plan.stages.length) return { projects: new Set(), percent: 100 }
  const projects = new Set<string>()
  let percent = 0
  for (const s of plan.stages.slice(0, stage + 1)) {
    if ('projects' in s) for (const p of s.projects) projects.add(p)
    else percent = Math.max(percent, s.percent)
  }
  return { projects, percent }
}

const BUCKETS = 10_000

/**
 * A project's place among an image's consumers, 0–9,999: FNV-1a of image id and project. Stable
 * across replicas and restarts, and different per image, so the same projects are not always first.
 */
export function bucketOf(imageId: string, project: string): number {
  let hash = 0x811c9dc5
  const text = `${imageId}\u0000${project}`
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % BUCKETS
}

/** Whether the reach includes the project (the debug project is the caller's business: always reached). */
export const reaches = (reach: RolloutReach, imageId: string, project: string): boolean =>
  reach.projects.has(project) || (reach.percent > 0 && bucketOf(imageId, project) < reach.percent * (BUCKETS / 100))
