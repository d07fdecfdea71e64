import { Type, type Static } from '@sinclair/typebox'
import { Nullable, ProjectId, StringEnum, Timestamp } from '../http/schemas.js'
import { ImageCode } from '../images/images.schemas.js'
import { VERSION_PATTERN } from '../versions/version-number.js'
import { LogWindow } from './log-window.js'

export const ImpactParams = Type.Object(
  { code: ImageCode, version: Type.String({ pattern: VERSION_PATTERN, description: 'An exact version M.m.p', examples: ['1.5.0'] }) },
  { additionalProperties: false }
)

export const ImpactQuery = Type.Object({ window: LogWindow }, { additionalProperties: false })

const SpecMoveSchema = Type.Object(
  {
    spec: Type.String({ description: 'A spec naming a line the version belongs to', examples: ['1.latest'] }),
    moves: Type.Boolean({ description: 'Whether the release moves it to this version' }),
    heldBy: Nullable(Type.String(), {
      description: 'When it does not move: the newer released version of the line that it keeps resolving to',
      examples: [null]
    })
  },
  { additionalProperties: false }
)

const ResolverSchema = Type.Object(
  {
    project: ProjectId,
    pipeline: Nullable(Type.String(), { description: 'null: resolutions that named no pipeline' }),
    specs: Type.Array(Type.String(), { description: 'The specs it asked for that count here (sorted)' }),
    resolutions: Type.Integer({ minimum: 1, description: 'How many resolutions in the window' }),
    lastResolvedAt: Timestamp,
    currentVersion: Type.String({
      description:
        'The version it got in its last resolution of those specs: for a version not released, what it runs today; for a released one, this version or the one it has moved on to'
    })
  },
  { additionalProperties: false }
)

export const VERSION_IMPACT_EXAMPLE = {
  image: 'node-20',
  version: '1.5.0',
  status: 'testing',
  kind: 'on_release',
  window: '30d',
  since: '2026-11-02T00:40:00.000Z',
  specs: [
    { spec: '1.latest', moves: true, heldBy: null },
    { spec: '1.*', moves: true, heldBy: null },
    { spec: '1.5.latest', moves: true, heldBy: null },
    { spec: '1.5.*', moves: true, heldBy: null },
    { spec: 'latest', moves: false, heldBy: '2.0.1' }
  ],
  resolvers: [
    {
      project: 'payments-ci',
      pipeline: 'p-8f3a1c',
      specs: ['1.latest'],
      resolutions: 212,
      lastResolvedAt: '2026-12-01T18:00:00.000Z',
      currentVersion: '1.4.2'
    },
    {
      project: 'search',
      pipeline: null,
      specs: ['1.*', '1.latest'],
      resolutions: 9,
      lastResolvedAt: '2026-11-30T07:12:44.051Z',
      currentVersion: '1.4.2'
    }
  ],
  totals: { projects: 2, pipelines: 1, resolutions: 221 },
  truncated: false
}

export const VersionImpactSchema = Type.Object(
  {
    image: Type.String(),
    version: Type.String(),
    status: Type.String({ description: 'The version status now' }),
    kind: StringEnum(['on_release', 'in_use'] as const, {
      description:
        'on_release: a version in progress (checking, check_failed, testing, awaiting_approval); `resolvers` are who resolved, in the window, a spec its release would move. in_use: a released (or withdrawn, cancelled) version; `resolvers` are who resolved the version itself in the window'
    }),
    window: Type.String({ examples: ['30d'] }),
    since: { ...Timestamp, description: 'The start of the window' },
    specs: Nullable(Type.Array(SpecMoveSchema), {
      description:
        'on_release: each spec naming a line of the version (N.latest, N.*, N.M.latest, N.M.*, latest) and whether the release moves it: it does unless a newer released, available version of that line holds it. null for in_use'
    }),
    resolvers: Type.Array(ResolverSchema, {
      description:
        'Per project and pipeline, most resolutions first, at most 500 (see truncated); only projects whose log this token may read'
    }),
    totals: Type.Object(
      {
        projects: Type.Integer({ minimum: 0 }),
        pipelines: Type.Integer({ minimum: 0, description: 'Distinct named pipelines (per project)' }),
        resolutions: Type.Integer({ minimum: 0 })
      },
      { additionalProperties: false, description: 'Over every matching resolution, also those of rows beyond the first 500' }
    ),
    truncated: Type.Boolean({ description: 'More project and pipeline rows matched than are listed' })
  },
  {
    $id: 'VersionImpact',
    title: 'VersionImpact',
    description:
      'Who a release would reach, from the resolution log: for a version not released yet, the pipelines that resolved a spec its release would move; for a released one, the pipelines that resolved it',
    additionalProperties: false,
    examples: [VERSION_IMPACT_EXAMPLE]
  }
)
export type VersionImpact = Static<typeof VersionImpactSchema>
