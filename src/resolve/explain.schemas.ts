import { Type, type Static } from '@sinclair/typebox'
import { ProjectId, StringEnum } from '../http/schemas.js'
import { RESOLVABLE_STATUSES } from '../versions/version-lifecycle.js'
import { ACTIVE_ROLLOUT_STATES } from '../versions/rollout-plan.js'
import { SpecText } from './resolve.schemas.js'
import { SKIP_REASONS } from './select-version.js'

export const ExplainQuery = Type.Object(
  {
    version: SpecText,
    project: { ...ProjectId, description: 'The project whose resolution is explained (as `project` of resolve)' }
  },
  { additionalProperties: false }
)

export const CANDIDATE_VERDICTS = ['chosen', 'skipped', 'outside_spec', 'not_considered'] as const
export type CandidateVerdict = (typeof CANDIDATE_VERDICTS)[number]

// The problems a selection can end in; the others (400, 403, 404 of the image) are the request's own.
const OUTCOME_PROBLEMS = ['VERSION_NOT_FOUND', 'VERSION_WITHDRAWN', 'VERSION_UNAVAILABLE'] as const
export type OutcomeProblem = (typeof OUTCOME_PROBLEMS)[number]

const ResolvedOutcome = Type.Object(
  {
    kind: Type.Literal('resolved'),
    version: Type.String({ description: 'What resolve answers: the version it resolves to', examples: ['1.4.1'] })
  },
  { additionalProperties: false }
)

const ProblemOutcome = Type.Object(
  {
    kind: Type.Literal('problem'),
    status: Type.Integer({ enum: [404, 410], description: 'The status resolve answers', examples: [404] }),
    code: StringEnum(OUTCOME_PROBLEMS, { description: "The problem's code, as resolve answers it", examples: ['VERSION_NOT_FOUND'] }),
    detail: Type.String({ description: "The problem's detail, as resolve answers it" })
  },
  { additionalProperties: false }
)

const CandidateSchema = Type.Object(
  {
    version: Type.String({ examples: ['1.5.0'] }),
    status: StringEnum(RESOLVABLE_STATUSES),
    verdict: StringEnum(CANDIDATE_VERDICTS, {
      description:
        'chosen: what resolve answers; skipped: matches the spec but `reason` keeps it from this project; outside_spec: the spec does not ask for it; ' +
        'not_considered: matches, but older than the chosen version'
    }),
    reason: Type.Union([StringEnum(SKIP_REASONS), Type.Null()], {
      description:
        'Why it was skipped (only with verdict skipped), the rule resolve applies: no_digest (cannot be pinned), withdrawn, unavailable (its pinned digest ' +
        'cannot be pulled now), not_released (testing: the debug project only), awaiting_approval (the debug project only), rollout_not_reached ' +
        '(its staged rollout has not reached this project; exact requests are not limited)'
    }),
    detail: Type.String({ description: 'The verdict in plain words' }),
    rollout: Type.Optional(
      Type.Object(
        {
          state: StringEnum(ACTIVE_ROLLOUT_STATES),
          stage: Type.Integer({ minimum: 0, description: 'Index of the last stage reached (0 = the first)' }),
          stages: Type.Integer({ minimum: 1, description: 'How many stages the plan lists; after the last comes everyone' })
        },
        { additionalProperties: false, description: 'Present while the version rolls out (or its rollout is paused)' }
      )
    )
  },
  { additionalProperties: false }
)

const EXAMPLE = {
  image: 'node-20',
  spec: '1.latest',
  project: 'payments-ci',
  audience: 'consumer' as const,
  outcome: { kind: 'resolved' as const, version: '1.4.1' },
  candidates: [
    {
      version: '2.0.0',
      status: 'released' as const,
      verdict: 'outside_spec' as const,
      reason: null,
      detail: 'Outside the line 1 that "1.latest" asks for.'
    },
    {
      version: '1.5.0',
      status: 'testing' as const,
      verdict: 'skipped' as const,
      reason: 'not_released' as const,
      detail: 'In testing: before its release only the debug project "node-20-debug" resolves it.'
    },
    {
      version: '1.4.2',
      status: 'released' as const,
      verdict: 'skipped' as const,
      reason: 'rollout_not_reached' as const,
      detail:
        'Rollout stage 2 of 3 reaches "early-a", "early-b" and 10% of projects; "payments-ci" is not among them. An exact 1.4.2 would resolve to it.',
      rollout: { state: 'rolling_out' as const, stage: 1, stages: 3 }
    },
    {
      version: '1.4.1',
      status: 'released' as const,
      verdict: 'chosen' as const,
      reason: null,
      detail: 'The newest version matching "1.latest" that "payments-ci" can use.'
    },
    {
      version: '1.4.0',
      status: 'released' as const,
      verdict: 'not_considered' as const,
      reason: null,
      detail: 'Older than 1.4.1, the version chosen.'
    }
  ]
}

export const ExplanationSchema = Type.Object(
  {
    image: Type.String({ description: 'The image code', examples: ['node-20'] }),
    spec: Type.String({ description: 'The spec as requested', examples: ['1.latest'] }),
    project: ProjectId,
    audience: StringEnum(['debug', 'consumer'] as const, {
      description:
        "debug: the image's debug project (also gets versions before release, reached by every rollout); consumer: any other project it is visible to"
    }),
    outcome: Type.Union([ResolvedOutcome, ProblemOutcome], { description: 'What resolve answers this project for the spec now' }),
    candidates: Type.Array(CandidateSchema, {
      description: 'Every version resolve can meet (released, testing, awaiting approval, withdrawn), newest first, with its verdict'
    })
  },
  {
    $id: 'ResolutionExplanation',
    title: 'ResolutionExplanation',
    description: 'Why a project gets what it gets for a version spec: the same rules and the same code as resolve',
    additionalProperties: false,
    examples: [EXAMPLE]
  }
)
export type Explanation = Static<typeof ExplanationSchema>
