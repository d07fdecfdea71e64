import { bucketOf } from '../../src/rollouts/rollout-reach.js'

/** A project in the first `percent` % of the image's consumers (by the rollout's hash), and one outside them. */
export function projectsAround(imageId: string, percent: number): { inside: string; outside: string } {
  let inside: string | undefined
  let outside: string | undefined
  for (let i = 0; !(inside && outside); i++) {
    const project = `consumer-${i}`
    if (bucketOf(imageId, project) < percent * 100) inside ??= project
    else outside ??= project
  }
  return { inside, outside }
}
