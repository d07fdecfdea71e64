// What a release may carry (a staged rollout plan) and what a version shows of its release request
// and approvals; the approver's decisions.
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, ProjectId, Text, Timestamp, ref } from '../http/schemas.js'

// A duration such as 90s, 30m, 24h or 2d (config.durationMs's grammar, whole units, not zero).
export const DURATION_PATTERN = '^[1-9][0-9]*(s|m|h|d)$'

const ROLLOUT_PLAN_EXAMPLE = { stages: [{ projects: ['early-a', 'early-b'] }, { percent: 10 }, { percent: 50 }], advanceAfter: '24h' }

const RolloutStageSchema = Type.Union(
  [
    Type.Object(
      {
        projects: Type.Array(ProjectId, { minItems: 1, maxItems: 100, uniqueItems: true, description: 'Projects this stage reaches' })
      },
      { additionalProperties: false }
    ),
    Type.Object(
      {
        percent: Type.Integer({
          minimum: 1,
          maximum: 99,
          description: "This share of the image's consumers, by a stable hash of project and image"
        })
      },
      { additionalProperties: false }
    )
  ],
  { description: 'Listed projects, or a percentage of the projects that resolve the image (exactly one of the two)' }
)

export const RolloutPlanSchema = Type.Object(
  {
    stages: Type.Array(RolloutStageSchema, {
      minItems: 1,
      maxItems: 10,
      description: 'In order; reached stages add up. After the last listed stage the version reaches everyone.'
    }),
    advanceAfter: Type.Optional(
      Nullable(Type.String({ pattern: DURATION_PATTERN, maxLength: 8, examples: ['24h'] }), {
        description: 'How long each stage lasts before the service advances it; null or absent = advanced by hand only'
      })
    )
  },
  {
    $id: 'RolloutPlan',
    title: 'RolloutPlan',
    description:
      "A staged rollout: while it runs, N.latest gives the new version only to the stages reached (and the image's debug project)",
    additionalProperties: false,
    examples: [ROLLOUT_PLAN_EXAMPLE, { stages: [{ projects: ['payments-canary'] }], advanceAfter: null }]
  }
)
export type RolloutPlanBody = Static<typeof RolloutPlanSchema>

export const ReleaseBody = Type.Object(
  {
    rollout: Type.Optional(
      ref(RolloutPlanSchema, 'Roll the release out in stages instead of to everyone at once; absent = everyone at once')
    )
  },
  {
    $id: 'ReleaseVersion',
    title: 'ReleaseVersion',
    additionalProperties: false,
    examples: [{}, { rollout: ROLLOUT_PLAN_EXAMPLE }]
  }
)

export const ApproveBody = Type.Object(
  {
    comment: Type.Optional(
      Text(1000, { description: 'Kept with the approval and in its event', examples: ['Smoke tests green in early-a.'] })
    )
  },
  {
    $id: 'ApproveVersion',
    title: 'ApproveVersion',
    additionalProperties: false,
    examples: [{}, { comment: 'Smoke tests green in early-a.' }]
  }
)
export const RejectBody = Type.Object(
  { reason: Text(1000, { minLength: 1, description: 'Why; the version shows it as its statusReason' }) },
  {
    $id: 'RejectVersion',
    title: 'RejectVersion',
    additionalProperties: false,
    examples: [{ reason: 'pnpm 9.1 breaks the lockfile of web-ci; hold until 9.1.1.' }]
  }
)

export const ReleaseRequestSchema = Type.Object(
  {
    by: Type.String({ description: 'The token that asked for the release', examples: ['payments-publisher'] }),
    at: Timestamp,
    rollout: Nullable(ref(RolloutPlanSchema), {
      description:
        "The plan asked for, kept while approvals are awaited; null without one, and once released (the version's rollout carries it)"
    })
  },
  {
    additionalProperties: false,
    description: 'Who asked for the release and when; null before a release was asked for (or after it was rejected)'
  }
)

const ApprovalEntrySchema = Type.Object(
  {
    tokenName: Type.String({ examples: ['web-ci-approver'] }),
    projects: Type.Array(Type.String(), { description: 'The approver projects the token approved for', examples: [['web-ci']] }),
    approvedAt: Timestamp,
    comment: Nullable(Type.String())
  },
  { additionalProperties: false }
)

export const VersionApprovalSchema = Type.Object(
  {
    required: Type.Integer({ minimum: 1, maximum: 5, description: 'Approvals a release needs' }),
    approverProjects: Type.Array(Type.String(), { description: 'Tokens of these projects (with images:approve) approve or reject' }),
    approvals: Type.Array(ApprovalEntrySchema, {
      description: 'The approvals of the pending release (while awaiting_approval; [] otherwise: the events keep past ones)'
    })
  },
  {
    additionalProperties: false,
    description:
      "The image's approval policy as it applies to this version (an edit of the image applies at the next approval); null when the image requires none"
  }
)

export type ReleaseRequest = Static<typeof ReleaseRequestSchema>
export type VersionApproval = Static<typeof VersionApprovalSchema>

export const releaseSchemas = [RolloutPlanSchema, ReleaseBody, ApproveBody, RejectBody]
