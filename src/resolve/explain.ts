import { compareVersions, formatVersion } from '../versions/version-number.js'
import type { ImageSnapshot, SnapshotRollout, SnapshotVersion } from './image-snapshot.js'
import { selectionProblem } from './resolve-problems.js'
import { inSpec, selectVersion, skipReason, type Asker, type Selection, type SkipReason, type VersionSpec } from './select-version.js'
import type { CandidateVerdict, Explanation, OutcomeProblem } from './explain.schemas.js'

// Why a project gets what it gets: every version of the snapshot with the verdict of the very
// functions resolve uses (selectVersion, skipReason), in plain words. Pure.

/**
 * How much the caller may learn: the image's publishers (and admins) everything; a token that only
 * resolves for a consumer project no more than resolve tells it: versions not released yet stay
 * hidden (resolve answers them 404), and a rollout's listed projects are counted, not named.
 */
export type ExplainView = 'publisher' | 'consumer'

/** The explanation for a project the image is visible to (the caller answers 404 for the others). */
export function explainResolution(
  snapshot: ImageSnapshot,
  spec: VersionSpec,
  specText: string,
  project: string,
  view: ExplainView = 'publisher'
): Explanation {
  const asker: Asker = { project, debug: project === snapshot.debugProject, imageId: snapshot.id }
  const selection = selectVersion(snapshot.versions, spec, asker)
  const chosen = selection.kind === 'resolved' ? selection.version : undefined
  const exact = spec.kind === 'exact'
  const shown = view === 'publisher' || asker.debug ? snapshot.versions : snapshot.versions.filter((v) => !isUnreleased(v))
  const rolloutText = (rollout: SnapshotRollout) => describeRollout(rollout, view === 'publisher' ? undefined : project)
  const chosenDetail = (v: SnapshotVersion): string => {
    const before = isUnreleased(v) ? ` It is not released yet (${v.status}): the debug project resolves it to try it.` : ''
    const base = exact
      ? `The version asked for.${before}`
      : `The newest version matching "${specText}" that "${asker.project}" can use.${before}`
    if (!v.rollout) return base
    if (asker.debug) return `${base} ${rolloutText(v.rollout)}; every rollout reaches the debug project.`
    if (exact) return `${base} ${rolloutText(v.rollout)}; a rollout does not limit an exact version: pinning it is an opt-in.`
    return `${base} ${rolloutText(v.rollout)}; "${asker.project}" is among them.`
  }
  const reasonDetail = (reason: SkipReason, v: SnapshotVersion): string => {
    switch (reason) {
      case 'no_digest':
        return 'No digest was recorded for it, so it cannot be pinned.'
      case 'withdrawn':
        return `Withdrawn by its publisher (${v.withdrawReason ?? 'no reason given'}).`
      case 'unavailable':
        return (
          `Its pinned digest cannot be pulled since ${v.unavailable?.since ?? 'an unknown time'}: ${(v.unavailable?.reason ?? 'no reason was recorded').replace(/\.$/, '')}. ` +
          'It is served again once a verification finds it pullable.'
        )
      case 'not_released':
        return `In testing: before its release only the debug project "${snapshot.debugProject}" resolves it.`
      case 'awaiting_approval':
        return `Awaiting approval of its release: until then only the debug project "${snapshot.debugProject}" resolves it.`
      case 'rollout_not_reached':
        return v.rollout
          ? `${rolloutText(v.rollout)}; "${asker.project}" is not among them. An exact ${formatVersion(v)} would resolve to it.`
          : 'Its rollout does not reach this project yet.'
    }
  }
  return {
    image: snapshot.code,
    spec: specText,
    project,
    audience: asker.debug ? 'debug' : 'consumer',
    outcome: outcomeOf(snapshot.code, specText, project, selection),
    candidates: shown.map((v) => {
      let verdict: CandidateVerdict
      let reason: SkipReason | null = null
      let detail: string
      if (v === chosen) {
        verdict = 'chosen'
        detail = chosenDetail(v)
      } else if (!inSpec(v, spec)) {
        verdict = 'outside_spec'
        detail = outsideDetail(spec, specText)
      } else if (chosen && compareVersions(v, chosen) < 0) {
        verdict = 'not_considered'
        detail = `Older than ${formatVersion(chosen)}, the version chosen.`
      } else {
        verdict = 'skipped'
        reason = skipReason(v, asker, exact)
        // selectVersion passed it over, so a rule did: anything else is a bug to hear of, not to explain away.
        if (reason === null) throw new Error(`explain: ${formatVersion(v)} was passed over by no rule`)
        detail = reasonDetail(reason, v)
      }
      return {
        version: formatVersion(v),
        status: v.status,
        verdict,
        reason,
        detail,
        ...(v.rollout ? { rollout: { state: v.rollout.state, stage: v.rollout.stage, stages: v.rollout.stages } } : {})
      }
    })
  }
}

function outcomeOf(code: string, specText: string, project: string, selection: Selection): Explanation['outcome'] {
  if (selection.kind === 'resolved') return { kind: 'resolved', version: formatVersion(selection.version) }
  const problem = selectionProblem(code, specText, project, selection)
  // selectionProblem answers no other codes.
  return { kind: 'problem', status: problem.status, code: problem.code as OutcomeProblem, detail: problem.message }
}

const quoted = (projects: Iterable<string>): string[] => [...projects].map((p) => `"${p}"`)

function listed(parts: string[]): string {
  if (parts.length <= 1) return parts[0] ?? ''
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`
}

const isUnreleased = (v: SnapshotVersion): boolean => v.status === 'testing' || v.status === 'awaiting_approval'

/**
 * e.g. 'Rollout stage 1 of 3 reaches "proj-a" and 10% of projects'. With `asker`, the listed
 * projects are counted, only the asker named among them.
 */
export function describeRollout(rollout: SnapshotRollout, asker?: string): string {
  const { projects, percent } = rollout.reach
  const parts =
    asker === undefined
      ? quoted(projects)
      : projects.size === 0
        ? []
        : [`${projects.size} listed project${projects.size === 1 ? '' : 's'}${projects.has(asker) ? ` (among them "${asker}")` : ''}`]
  if (percent > 0) parts.push(`${percent}% of projects`)
  const paused = rollout.state === 'paused' ? ' (paused)' : ''
  return `Rollout stage ${rollout.stage + 1} of ${rollout.stages}${paused} reaches ${parts.length > 0 ? listed(parts) : 'only the debug project'}`
}

function outsideDetail(spec: VersionSpec, specText: string): string {
  if (spec.kind === 'exact') return `Not the version asked for (${specText}).`
  const line = spec.minor !== undefined ? `${spec.major}.${spec.minor}` : `${spec.major}`
  return `Outside the line ${line} that "${specText}" asks for.`
}
