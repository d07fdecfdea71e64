import { Type, type Static } from '@sinclair/typebox'
import { Nullable, StringEnum, Text, Timestamp, ref } from '../http/schemas.js'
import { RolloutPlanSchema } from '../versions/release.schemas.js'
import { ROLLOUT_ACTIONS, ROLLOUT_STATES } from './rollout-lifecycle.js'

// At most this many rollouts are listed per image: one per released version, and an image
// releases at human pace, so the newest hundred cover what an operator looks for.
export const MAX_LISTED_ROLLOUTS = 100

const ROLLOUT_EXAMPLE = {
  imageCode: 'node-20',
  version: '1.5.0',
  plan: { stages: [{ projects: ['early-a', 'early-b'] }, { percent: 10 }, { percent: 50 }], advanceAfter: '24h' },
  stage: 1,
  state: 'rolling_out',
  stageStartedAt: '2026-11-27T09:00:00.000Z',
  nextAdvanceAt: '2026-11-28T09:00:00.000Z',
  reached: { projects: ['early-a', 'early-b'], percent: 10 },
  allowedActions: ['advance', 'pause', 'abort'],
  startedBy: 'payments-publisher',
  startedAt: '2026-11-26T09:00:00.000Z',
  finishedAt: null,
  updatedAt: '2026-11-27T09:00:00.000Z'
}

export const RolloutSchema = Type.Object(
  {
    imageCode: Type.String({ examples: ['node-20'] }),
    version: Type.String({ description: 'The version being rolled out', examples: ['1.5.0'] }),
    plan: ref(RolloutPlanSchema),
    stage: Type.Integer({
      minimum: 0,
      description: 'Index of the last stage reached (0-based); equal to the number of stages once it reaches everyone'
    }),
    state: StringEnum(ROLLOUT_STATES, {
      description:
        'rolling_out (advances by itself after advanceAfter), paused (only by hand), completed (everyone has it; plainly released), aborted (the version was withdrawn)'
    }),
    stageStartedAt: Timestamp,
    nextAdvanceAt: Nullable(Timestamp, {
      description: 'When the service advances it; null while paused, when done, or without advanceAfter'
    }),
    reached: Type.Object(
      {
        projects: Type.Array(Type.String(), { description: 'The listed projects it reaches now' }),
        percent: Type.Integer({ minimum: 0, maximum: 100, description: 'The share of all other projects it reaches now (100: everyone)' })
      },
      {
        additionalProperties: false,
        description: "Whom N.latest, N.M.latest and latest give this version now (the image's debug project always); nobody once aborted"
      }
    ),
    allowedActions: Type.Array(StringEnum(ROLLOUT_ACTIONS), { description: 'What can be done now' }),
    startedBy: Type.String({ description: 'Who released it with the plan (or approved it last)' }),
    startedAt: Timestamp,
    finishedAt: Nullable(Timestamp, { description: 'When it completed or was aborted' }),
    updatedAt: Timestamp
  },
  {
    $id: 'Rollout',
    title: 'Rollout',
    description: 'The staged rollout of a released version',
    additionalProperties: false,
    examples: [ROLLOUT_EXAMPLE]
  }
)
export type Rollout = Static<typeof RolloutSchema>

export const RolloutListSchema = Type.Object(
  { items: Type.Array(ref(RolloutSchema)) },
  {
    $id: 'RolloutList',
    title: 'RolloutList',
    description: `The image's rollouts, active ones first, then newest first (at most ${MAX_LISTED_ROLLOUTS})`,
    additionalProperties: false,
    examples: [{ items: [ROLLOUT_EXAMPLE] }]
  }
)

export const ListRolloutsQuery = Type.Object(
  {
    limit: Type.Integer({
      minimum: 1,
      maximum: MAX_LISTED_ROLLOUTS,
      default: MAX_LISTED_ROLLOUTS,
      description: `How many (1–${MAX_LISTED_ROLLOUTS})`
    })
  },
  { additionalProperties: false }
)

export const AdvanceRolloutBody = Type.Object(
  {
    fromStage: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'The stage you saw: when the rollout has moved since, nothing happens (409), so two clicks never skip a stage'
      })
    )
  },
  { $id: 'AdvanceRollout', title: 'AdvanceRollout', additionalProperties: false, examples: [{ fromStage: 1 }] }
)

export const PauseRolloutBody = Type.Object(
  { reason: Type.Optional(Text(1000, { minLength: 1, description: 'Why; kept in the audit trail' })) },
  { $id: 'PauseRollout', title: 'PauseRollout', additionalProperties: false, examples: [{ reason: 'Error rate up in early-a; looking.' }] }
)

export const AbortRolloutBody = Type.Object(
  { reason: Text(1000, { minLength: 1, description: 'Why the version is taken back; shown to users as its withdrawal reason' }) },
  {
    $id: 'AbortRollout',
    title: 'AbortRollout',
    additionalProperties: false,
    examples: [{ reason: 'Breaks pnpm installs with lockfile v6; use 1.4.2.' }]
  }
)

export const rolloutSchemas = [RolloutSchema, RolloutListSchema, AdvanceRolloutBody, PauseRolloutBody, AbortRolloutBody]
