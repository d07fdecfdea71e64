// Whether a rollout plan can be carried out as written. Pure: the release (versions/, through
// ReleaseRollouts.validate) asks before anything changes, so a bad plan is a 400 and changes nothing.
import { badRequest, type ProblemError } from '../http/problem.js'
import { durationMs } from '../config.js'
import type { RolloutPlan } from '../versions/rollout-plan.js'

export const MAX_STAGES = 10
export const MAX_PROJECTS_PER_STAGE = 100
/**
 * No minimum: a stage of a few seconds is legitimate in tests and drills. A maximum keeps
 * stage start + advanceAfter a real date (and a year-long stage is a paused rollout in disguise).
 */
export const MAX_ADVANCE_AFTER_MS = 365 * 24 * 3_600_000
export const ADVANCE_AFTER_PATTERN = '^[1-9][0-9]*(s|m|h|d)$'

const ADVANCE_AFTER = new RegExp(ADVANCE_AFTER_PATTERN)

const invalid = (detail: string, hint: string): ProblemError => badRequest('INVALID_ROLLOUT_PLAN', detail, { hint })

/** Throws 400 INVALID_ROLLOUT_PLAN, with a hint, unless the plan can be carried out for this image. */
export function validatePlan(plan: RolloutPlan, image: { debugProject: string }): void {
  const { stages } = plan
  if (stages.length < 1 || stages.length > MAX_STAGES) {
    throw invalid(
      `A rollout plan has 1–${MAX_STAGES} stages; this one has ${stages.length}.`,
      'After the last stage the version reaches everyone: list only the partial stages, e.g. [{"projects": ["early-a"]}, {"percent": 10}, {"percent": 50}].'
    )
  }
  const listedBefore = new Map<string, number>()
  let lastPercent = 0
  stages.forEach((stage, i) => {
    const where = `Stage ${i + 1}`
    if ('projects' in stage && !('percent' in stage)) {
      const { projects } = stage
      if (projects.length < 1 || projects.length > MAX_PROJECTS_PER_STAGE) {
        throw invalid(
          `${where} lists ${projects.length} projects; a projects stage lists 1–${MAX_PROJECTS_PER_STAGE}.`,
          'Split a long list over several stages, or use a percent stage for the rest.'
        )
      }
      const seen = new Set<string>()
      for (const project of projects) {
        if (seen.has(project)) throw invalid(`${where} lists project "${project}" twice.`, 'List each project once.')
        seen.add(project)
        const earlier = listedBefore.get(project)
        if (earlier !== undefined) {
          throw invalid(
            `${where} lists project "${project}", already reached in stage ${earlier + 1}.`,
            'Reached stages add up: list a project only in the first stage that should reach it.'
          )
        }
        if (project === image.debugProject) {
          throw invalid(
            `${where} lists "${project}", the image's debug project.`,
            'The debug project always gets the version being rolled out: leave it out of the stages.'
          )
        }
      }
      for (const project of projects) listedBefore.set(project, i)
    } else if ('percent' in stage && !('projects' in stage)) {
      const { percent } = stage
      if (!Number.isInteger(percent) || percent < 1 || percent > 99) {
        throw invalid(
          `${where} has percent ${percent}; a percent stage is a whole number 1–99.`,
          '100 % is the end of every rollout: the last stage reaches everyone without being listed.'
        )
      }
      if (percent <= lastPercent) {
        throw invalid(
          `${where} has percent ${percent}, not more than the ${lastPercent} % reached before it.`,
          'Percent stages add up: give each one a larger share than the last, e.g. 10, then 50.'
        )
      }
      lastPercent = percent
    } else {
      throw invalid(
        `${where} is neither {"projects": [...]} nor {"percent": n}.`,
        'Each stage lists projects or gives a percent, not both.'
      )
    }
  })
  if (plan.advanceAfter !== null) {
    if (!ADVANCE_AFTER.test(plan.advanceAfter) || durationMs(plan.advanceAfter) > MAX_ADVANCE_AFTER_MS) {
      throw invalid(
        `advanceAfter "${plan.advanceAfter}" is not a duration of at most 365 days.`,
        'Write a whole number and a unit: s, m, h or d, e.g. "30m" or "24h"; or null to advance only by hand.'
      )
    }
  }
}
