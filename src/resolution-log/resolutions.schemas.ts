import { Type, type Static } from '@sinclair/typebox'
import { Page, PageQuery, ProjectId, Timestamp, ref } from '../http/schemas.js'
import { ImageCode } from '../images/images.schemas.js'
import { VERSION_PATTERN } from '../versions/version-number.js'
import { DEFAULT_LOG_WINDOW, LogWindow } from './log-window.js'

const VersionText = Type.String({ pattern: VERSION_PATTERN, description: 'An exact version M.m.p', examples: ['1.4.2'] })

export const RESOLUTION_RECORD_EXAMPLE = {
  spec: '1.latest',
  version: '1.4.2',
  status: 'released',
  digest: 'sha256:3f1a2b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a',
  project: 'payments-ci',
  pipeline: 'p-8f3a1c',
  build: 'b-20261126-0042',
  count: 3,
  firstResolvedAt: '2026-11-26T17:59:59.412Z',
  resolvedAt: '2026-11-26T18:00:00.000Z'
}

export const ResolutionRecordSchema = Type.Object(
  {
    spec: Type.String({ description: 'The spec that was asked for' }),
    version: Type.String({ description: 'The version it resolved to' }),
    status: Type.String({ description: 'The version status then: released, or testing (debug project)' }),
    digest: Type.String(),
    project: ProjectId,
    pipeline: Type.Union([Type.String(), Type.Null()]),
    build: Type.Union([Type.String(), Type.Null()]),
    count: Type.Integer({ minimum: 1, description: 'How many identical resolutions this entry stands for' }),
    firstResolvedAt: { ...Timestamp, description: 'When the first of them was handed out' },
    resolvedAt: { ...Timestamp, description: 'When the last of them was handed out (the order of the list)' }
  },
  {
    $id: 'ResolutionRecord',
    title: 'ResolutionRecord',
    description:
      'Resolutions handed out. Identical ones (same spec, version, digest, project, pipeline, build and token: the jobs of one build, retries) that arrive within one write of the log (about a second) are one entry with a count.',
    additionalProperties: false,
    examples: [RESOLUTION_RECORD_EXAMPLE]
  }
)
export type ResolutionRecordDto = Static<typeof ResolutionRecordSchema>

export const VersionUsageSchema = Type.Object(
  {
    image: Type.String(),
    version: Type.String(),
    window: Type.String({ description: 'How far back the log was read', examples: [DEFAULT_LOG_WINDOW] }),
    since: { ...Timestamp, description: 'The start of the window' },
    projects: Type.Array(
      Type.Object(
        { project: ProjectId, resolutions: Type.Integer({ minimum: 1 }), lastResolvedAt: Timestamp },
        { additionalProperties: false }
      ),
      { description: 'Projects that resolved the version in the window, most recent first' }
    )
  },
  {
    $id: 'VersionUsage',
    title: 'VersionUsage',
    description: 'Which projects resolved one version',
    additionalProperties: false,
    examples: [
      {
        image: 'node-20',
        version: '1.4.2',
        window: '30d',
        since: '2026-10-27T18:00:00.000Z',
        projects: [{ project: 'payments-ci', resolutions: 212, lastResolvedAt: '2026-11-26T18:00:00.000Z' }]
      }
    ]
  }
)
export type VersionUsage = Static<typeof VersionUsageSchema>

export const ResolutionsParams = Type.Object({ code: ImageCode }, { additionalProperties: false })

export const ResolutionsQuery = Type.Object(
  {
    ...PageQuery,
    project: Type.Optional(ProjectId),
    version: Type.Optional(VersionText),
    since: Type.Optional({
      ...Timestamp,
      description: `Only resolutions at or after this time; by default ${DEFAULT_LOG_WINDOW} before until (or now). Every read of the log is bounded by time.`
    }),
    until: Type.Optional({ ...Timestamp, description: 'Only resolutions before this time; by default none (up to now)' })
  },
  { additionalProperties: false }
)

export const UsageParams = Type.Object({ code: ImageCode, version: VersionText }, { additionalProperties: false })

export const UsageQuery = Type.Object({ window: LogWindow }, { additionalProperties: false })

export const ResolutionRecordPageSchema = Page('ResolutionRecordPage', ref(ResolutionRecordSchema), 'A page of resolutions, newest first', [
  { items: [RESOLUTION_RECORD_EXAMPLE], nextCursor: null }
])

export const resolutionSchemas = [ResolutionRecordSchema, VersionUsageSchema, ResolutionRecordPageSchema]
