// Properties of selection over generated snapshots, specs and askers: the chosen version is the
// newest candidate (candidacy written out again here, independently of skipReason), exact requests
// keep the outcomes they had before rollouts, and explain reports the very verdicts resolve acts on.
import t from 'tap'
import fc from 'fast-check'
import { explainResolution } from '../../src/resolve/explain.js'
import type { ImageSnapshot, SnapshotStatus, SnapshotVersion } from '../../src/resolve/image-snapshot.js'
import { inSpec, selectVersion, skipReason, type Asker, type VersionSpec } from '../../src/resolve/select-version.js'
import { bucketOf, reachOf } from '../../src/rollouts/rollout-reach.js'
import type { RolloutPlan, RolloutStage } from '../../src/versions/rollout-plan.js'
import { RESOLVABLE_STATUSES } from '../../src/versions/version-lifecycle.js'
import { compareVersions, formatVersion } from '../../src/versions/version-number.js'

const PROJECTS = ['debug', 'early-a', 'early-b', 'payments', 'web', 'tools-ci', 'x1', 'x2']
const IMAGE_IDS = ['0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55', '6f1c2e0a-3b9d-4a43-9a55-0c5f4f1d2b7e']

const stage: fc.Arbitrary<RolloutStage> = fc.oneof(
  fc.record({ projects: fc.uniqueArray(fc.constantFrom(...PROJECTS), { minLength: 1, maxLength: 3 }) }),
  fc.record({ percent: fc.integer({ min: 1, max: 100 }) })
)
const rollout = fc
  .record({
    plan: fc.record({ stages: fc.array(stage, { minLength: 1, maxLength: 4 }), advanceAfter: fc.constant(null) }),
    stageSeed: fc.nat(),
    state: fc.constantFrom('rolling_out' as const, 'paused' as const)
  })
  .map(({ plan, stageSeed, state }: { plan: RolloutPlan; stageSeed: number; state: 'rolling_out' | 'paused' }) => {
    const stage = stageSeed % plan.stages.length
    return Object.freeze({ state, stage, stages: plan.stages.length, reach: reachOf(plan, stage) })
  })

const version = fc
  .record({
    major: fc.integer({ min: 0, max: 2 }),
    minor: fc.integer({ min: 0, max: 2 }),
    patch: fc.integer({ min: 0, max: 2 }),
    status: fc.constantFrom<SnapshotStatus>(...RESOLVABLE_STATUSES),
    hasDigest: fc.integer({ min: 0, max: 9 }).map((n) => n > 0),
    unavailable: fc.boolean(),
    rollout: fc.option(rollout, { freq: 2 })
  })
  .map((g): SnapshotVersion => ({
    major: g.major,
    minor: g.minor,
    patch: g.patch,
    status: g.status,
    registry: 'registry.example.com',
    repository: 'ci/tools',
    tag: `${g.major}.${g.minor}.${g.patch}`,
    digest: g.hasDigest ? `sha256:${g.major}${g.minor}${g.patch}` : null,
    platforms: [],
    credential: null,
    withdrawReason: g.status === 'withdrawn' ? 'broken' : null,
    drift: null,
    unavailable: g.unavailable ? Object.freeze({ since: '2026-11-30T10:12:41.000Z', reason: 'gone' }) : null,
    // Only a released version rolls out (withdrawing one ends its rollout).
    rollout: g.status === 'released' ? g.rollout : null
  }))

const snapshot = fc
  .record({
    id: fc.constantFrom(...IMAGE_IDS),
    versions: fc.uniqueArray(version, { maxLength: 10, selector: (v) => formatVersion(v) })
  })
  .map(({ id, versions }): ImageSnapshot => {
    const sorted = versions.sort((a, b) => compareVersions(b, a))
    return {
      id,
      code: 'tools',
      ownerProject: 'owner',
      debugProject: 'debug',
      visibilityPublic: true,
      visibilityProjects: [],
      credential: null,
      versions: sorted,
      rollingOut: sorted.filter((v) => v.rollout !== null)
    }
  })

const small = fc.integer({ min: 0, max: 3 })
const spec: fc.Arbitrary<{ spec: VersionSpec; text: string }> = fc.oneof(
  fc.constant({ spec: { kind: 'latest' } as VersionSpec, text: 'latest' }),
  small.map((major) => ({ spec: { kind: 'latest', major } as VersionSpec, text: `${major}.latest` })),
  fc
    .tuple(small, small)
    .map(([major, minor]) => ({ spec: { kind: 'latest', major, minor } as VersionSpec, text: `${major}.${minor}.latest` })),
  fc
    .tuple(small, small, small)
    .map(([major, minor, patch]) => ({ spec: { kind: 'exact', major, minor, patch } as VersionSpec, text: `${major}.${minor}.${patch}` }))
)

/** Candidacy as the issue states it, written apart from skipReason. */
function usable(v: SnapshotVersion, asker: Asker, exact: boolean): boolean {
  if (v.digest === null || v.unavailable !== null) return false
  const offered = v.status === 'released' || (asker.debug && (v.status === 'testing' || v.status === 'awaiting_approval'))
  if (!offered) return false
  if (!v.rollout || exact || asker.debug) return true
  return v.rollout.reach.projects.has(asker.project) || bucketOf(asker.imageId, asker.project) < v.rollout.reach.percent * 100
}

const run = { numRuns: 2000, seed: 18 }

t.test('the chosen version is the newest candidate in the spec; exact requests keep their outcomes', async (t) => {
  let resolved = 0
  let refused = 0
  fc.assert(
    fc.property(snapshot, spec, fc.constantFrom(...PROJECTS), (image, { spec }, project) => {
      const asker: Asker = { project, debug: project === image.debugProject, imageId: image.id }
      const exact = spec.kind === 'exact'
      for (const v of image.versions) if ((skipReason(v, asker, exact) === null) !== usable(v, asker, exact)) return false
      const selection = selectVersion(image.versions, spec, asker)
      const newestUsable = image.versions.find((v) => usable(v, asker, false))
      if (spec.kind === 'latest') {
        const expected = image.versions.find((v) => inSpec(v, spec) && usable(v, asker, false))
        if (expected) {
          resolved++
          return selection.kind === 'resolved' && selection.version === expected
        }
        refused++
        return selection.kind === 'no-match' && selection.newest === newestUsable
      }
      const asked = image.versions.find((v) => inSpec(v, spec))
      const offered = (v: SnapshotVersion) => v.status === 'released' || (asker.debug && v.status !== 'withdrawn')
      const serving = asked && image.versions.find((v) => v.major === asked.major && usable(v, asker, false))
      if (asked && usable(asked, asker, true)) {
        resolved++
        return selection.kind === 'resolved' && selection.version === asked
      }
      refused++
      if (asked?.status === 'withdrawn') return selection.kind === 'withdrawn' && selection.serving === serving
      if (asked && asked.digest !== null && asked.unavailable !== null && offered(asked))
        return selection.kind === 'unavailable' && selection.serving === serving
      return selection.kind === 'no-match' && selection.newest === newestUsable
    }),
    run
  )
  t.ok(resolved > 200 && refused > 200, `both outcomes were generated (${resolved} resolved, ${refused} refused)`)
})

t.test('explain gives every version the verdict selection acted on, with the same reasons', async (t) => {
  const reasons = new Set<string>()
  fc.assert(
    fc.property(snapshot, spec, fc.constantFrom(...PROJECTS), (image, { spec, text }, project) => {
      const asker: Asker = { project, debug: project === image.debugProject, imageId: image.id }
      const exact = spec.kind === 'exact'
      const selection = selectVersion(image.versions, spec, asker)
      const explained = explainResolution(image, spec, text, project)
      if (explained.candidates.length !== image.versions.length) return false
      const chosen = selection.kind === 'resolved' ? selection.version : undefined
      if (
        chosen
          ? explained.outcome.kind !== 'resolved' || explained.outcome.version !== formatVersion(chosen)
          : explained.outcome.kind !== 'problem'
      )
        return false
      if (explained.outcome.kind === 'problem') {
        const code = { 'no-match': 'VERSION_NOT_FOUND', withdrawn: 'VERSION_WITHDRAWN', unavailable: 'VERSION_UNAVAILABLE', resolved: '' }[
          selection.kind
        ]
        if (explained.outcome.code !== code) return false
      }
      return image.versions.every((v, i) => {
        const c = explained.candidates[i]!
        if (c.version !== formatVersion(v) || c.status !== v.status) return false
        if ((c.rollout !== undefined) !== (v.rollout !== null)) return false
        if (c.reason) reasons.add(c.reason)
        switch (c.verdict) {
          case 'chosen':
            return v === chosen && c.reason === null
          case 'outside_spec':
            return !inSpec(v, spec) && c.reason === null
          case 'not_considered':
            return inSpec(v, spec) && chosen !== undefined && compareVersions(v, chosen) < 0 && c.reason === null
          case 'skipped':
            return (
              inSpec(v, spec) &&
              (chosen === undefined || compareVersions(v, chosen) > 0) &&
              c.reason !== null &&
              c.reason === skipReason(v, asker, exact) &&
              c.detail.length > 0
            )
        }
      })
    }),
    run
  )
  t.same(
    [...reasons].sort(),
    ['awaiting_approval', 'no_digest', 'not_released', 'rollout_not_reached', 'unavailable', 'withdrawn'],
    'every reason was met'
  )
})
