import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox'
import { Page, Timestamp, Uuid, ref } from '../http/schemas.js'
import type { ImageEventRow } from './events.table.js'

// What each event type records in `details`, as the code that writes it (images.service.ts,
// version-transitions.ts, credentials.service.ts, webhooks.service.ts) builds it. Members are open
// (more may come), so a client reads what it knows; the test suite checks every event it sees
// against these.
const nullableText = (description?: string) => Type.Union([Type.String(), Type.Null()], description ? { description } : {})
const change = Type.Object({ from: Type.Unknown(), to: Type.Unknown() }, { additionalProperties: false })
const statusChange = {
  from: Type.String({ description: 'The version status before', examples: ['testing'] }),
  to: Type.String({ description: 'The version status after', examples: ['released'] })
}
const details = (properties: TProperties, description: string) => Type.Object(properties, { description, additionalProperties: true })
const webhookSubscription = {
  subscriptionId: Uuid,
  url: Type.String({ description: 'The receiver URL' }),
  events: Type.Array(Type.String(), { description: "Event types, or ['*']" }),
  images: Type.Union([Type.Array(Type.String()), Type.Null()], { description: 'Image codes it is limited to; null = every image' }),
  project: nullableText('null: catalog-wide'),
  description: nullableText()
}

export const EVENT_DETAILS = {
  'image.associated': details(
    {
      code: Type.String(),
      name: Type.String(),
      ownerProject: Type.String(),
      debugProject: Type.String(),
      credentialId: nullableText(),
      summary: nullableText(),
      labels: Type.Array(Type.String()),
      visibility: Type.Object({ public: Type.Boolean(), projects: Type.Array(Type.String()) }),
      signatureKeys: Type.Array(Type.Object({ name: Type.String(), fingerprint: Type.String() }), {
        description: 'The keys whose signature its versions need, by name and fingerprint (never the PEM)'
      }),
      approval: Type.Optional(
        Type.Union([Type.Object({ required: Type.Integer(), approverProjects: Type.Array(Type.String()) }), Type.Null()], {
          description: 'Approvals a release needs; null = none'
        })
      ),
      minTestingTime: Type.Optional(nullableText('Minimum time in testing before release; null = none'))
    },
    'The image as associated'
  ),
  'image.updated': details(
    { changes: Type.Record(Type.String(), change, { description: 'Each changed field (visibility.public, …) → {from, to}' }) },
    'What the edit changed'
  ),
  'image.deleted': details({ code: Type.String(), ownerProject: Type.String() }, 'The image that was deleted'),
  'image.credential_rebound': details(
    {
      credentialId: Type.String(),
      registries: Type.Object({ from: Type.Array(Type.String()), to: Type.Array(Type.String()) })
    },
    "The image's credential now goes to other registries"
  ),
  'version.submitted': details(
    {
      to: Type.String({ examples: ['checking'] }),
      releaseType: nullableText('null for the first version'),
      line: Type.Union([Type.Integer(), Type.Null()], { description: 'The major line bumped, when one was asked for' }),
      reference: Type.String({ description: 'registry/repository:tag' }),
      credentialId: nullableText()
    },
    'The version as submitted'
  ),
  'version.recheck_requested': details(
    { ...statusChange, previousDigest: nullableText('The digest the last check found') },
    'A publisher asked for another check'
  ),
  'version.released': details(statusChange, 'Released'),
  'version.cancelled': details({ ...statusChange, reason: Type.Optional(Type.String()) }, 'Cancelled'),
  'version.withdrawn': details({ ...statusChange, reason: Type.Optional(Type.String()) }, 'Withdrawn'),
  'version.check_passed': details(
    {
      ...statusChange,
      digest: Type.String(),
      previousDigest: nullableText(),
      digestChanged: Type.Boolean({ description: 'The tag now points at another image than at the previous check' }),
      platforms: Type.Array(Type.Object({ os: Type.String(), architecture: Type.String(), variant: Type.Optional(Type.String()) })),
      attempts: Type.Integer({ minimum: 1 }),
      signedBy: nullableText('The name of the image key that signed the pinned digest; null when the image requires no signature')
    },
    'The check found the image pullable'
  ),
  'version.check_failed': details(
    { ...statusChange, checkClass: Type.String(), reason: Type.String(), attempts: Type.Integer({ minimum: 1 }) },
    'The check failed for good'
  ),
  'version.verification_requested': details({}, 'Someone asked for the version to be re-verified now'),
  'version.drifted': details(
    {
      digest: Type.String({ description: 'The pinned digest, which resolve keeps answering' }),
      tag: Type.String(),
      upstreamDigest: nullableText("The tag's digest now; null when the tag no longer exists"),
      firstSeenAt: Timestamp
    },
    'The tag no longer points at the pinned digest'
  ),
  'version.drift_cleared': details(
    { digest: Type.String(), tag: Type.String(), previousUpstreamDigest: nullableText(), driftedSince: Timestamp },
    'The tag points at the pinned digest again'
  ),
  'version.unavailable': details(
    {
      status: Type.String({ description: 'The status it keeps', examples: ['released'] }),
      cause: Type.Union([Type.Literal('digest_missing'), Type.Literal('signature_invalid')]),
      reason: Type.String()
    },
    'The pinned digest can no longer be pulled (or no longer carries a required signature): resolve skips the version'
  ),
  'version.available': details(
    {
      status: Type.String({ examples: ['released'] }),
      unavailableSince: Timestamp
    },
    'The pinned digest is back: resolve hands the version out again'
  ),
  'version.release_requested': details(
    {
      ...statusChange,
      required: Type.Integer({ minimum: 1, description: 'Approvals the release needs' }),
      approverProjects: Type.Array(Type.String()),
      rollout: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()], {
        description: 'The rollout plan asked for, if any'
      })
    },
    'A release was asked for; it takes effect once approved'
  ),
  'version.approved': details(
    {
      projects: Type.Array(Type.String(), { description: 'The approver projects the approving token acted for' }),
      approvals: Type.Integer({ minimum: 1, description: 'Approvals received so far, this one included' }),
      required: Type.Integer({ minimum: 1 }),
      comment: Type.Optional(Type.String())
    },
    'One approval of the pending release (the last one needed also writes version.released)'
  ),
  'version.rejected': details({ ...statusChange, reason: Type.String() }, 'An approver rejected the release: the version is testing again'),
  'version.rollout_started': details(
    {
      stages: Type.Array(Type.Object({}, { additionalProperties: true })),
      advanceAfter: nullableText('Duration of each stage before the service advances it; null = by hand only'),
      stage: Type.Integer({ minimum: 0, description: 'The stage reached (0-based)' })
    },
    'The release reaches its first stage only'
  ),
  'version.rollout_advanced': details(
    {
      from: Type.Integer({ minimum: 0 }),
      to: Type.Integer({ minimum: 0 }),
      automatic: Type.Boolean({ description: 'Advanced by the service after advanceAfter, not by hand' })
    },
    'The rollout reached a further stage'
  ),
  'version.rollout_paused': details(
    { stage: Type.Integer({ minimum: 0 }), reason: Type.Optional(Type.String()) },
    'The rollout stays at its stage until resumed'
  ),
  'version.rollout_resumed': details(
    { stage: Type.Integer({ minimum: 0 }), nextAdvanceAt: Type.Union([Timestamp, Type.Null()]) },
    'The rollout advances again'
  ),
  'version.rollout_completed': details(
    { stage: Type.Integer({ minimum: 0 }), automatic: Type.Boolean() },
    'The last stage: the version reaches everyone and is plainly released'
  ),
  'version.rollout_aborted': details(
    { ...statusChange, stage: Type.Integer({ minimum: 0 }), reason: Type.String() },
    'Everyone is back on the previous release at once: the version is withdrawn'
  ),
  'webhook.created': details(webhookSubscription, 'A receiver was subscribed (its signing secret is never recorded)'),
  'webhook.updated': details(
    {
      subscriptionId: Uuid,
      url: Type.String({ description: 'The receiver URL after the edit' }),
      changes: Type.Record(Type.String(), change, {
        description: 'Each changed field (url, events, images, description, status) → {from, to}'
      })
    },
    'What the edit of a subscription changed'
  ),
  'webhook.deleted': details(webhookSubscription, 'The subscription that was deleted'),
  'webhook.secret_rotated': details(
    {
      subscriptionId: Uuid,
      url: Type.String(),
      graceSeconds: Type.Integer({ minimum: 0, description: 'How long the replaced secret keeps signing' }),
      previousSecretExpiresAt: Type.Union([Timestamp, Type.Null()], {
        description: 'When the replaced secret stops signing; null: at once'
      }),
      earlierGraceEnded: Type.Boolean({ description: 'A secret still in its grace from the rotation before stopped signing now' })
    },
    'The signing secret was replaced (neither secret is recorded)'
  )
} as const satisfies Record<string, TObject>
export type EventAction = keyof typeof EVENT_DETAILS

const eventFields = {
  id: Type.Integer({ description: 'Increases with time; events are listed newest first' }),
  actor: Type.Object(
    {
      tokenId: Type.Union([Uuid, Type.Null()], {
        description: 'The token that did it; null for the service itself (e.g. a pullability check)'
      }),
      name: Type.String({ description: "The token's name when it acted (a label, not an identity)", examples: ['payments-publisher'] }),
      projects: Type.Union([Type.Array(Type.String()), Type.Null()], {
        description: 'The projects the token acted for; null = every project'
      })
    },
    { additionalProperties: false, description: 'Who did it' }
  ),
  version: Type.Union([Type.String(), Type.Null()], { description: "The version concerned ('M.m.p'), for version events" }),
  requestId: Type.Union([Type.String(), Type.Null()], { description: 'The request that made the change' }),
  createdAt: Timestamp
}

export const ImageEventSchema = Type.Union(
  Object.entries(EVENT_DETAILS).map(([action, detailsSchema]) =>
    Type.Object(
      { ...eventFields, action: Type.Literal(action as EventAction), details: detailsSchema },
      { title: action, additionalProperties: false }
    )
  ),
  {
    $id: 'ImageEvent',
    title: 'ImageEvent',
    description: "One entry of an image's audit trail; `action` says which, and what `details` holds",
    examples: [
      {
        id: 42,
        action: 'image.updated',
        actor: {
          tokenId: '0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55',
          name: 'payments-publisher',
          projects: ['payments-ci', 'payments-sandbox']
        },
        version: null,
        details: { changes: { credentialId: { from: null, to: '5d0f3a52-8c1e-4b7a-9f2e-6a4b1c9d7e30' } } },
        requestId: '6f1c2e0a-3b9d-4a43-9a55-0c5f4f1d2b7e',
        createdAt: '2026-11-26T18:05:00.000Z'
      }
    ]
  }
)
export type ImageEventView = Static<typeof ImageEventSchema>

// The rows hold what the writers above built for their action.
export function toImageEvent(row: ImageEventRow): ImageEventView {
  return {
    id: Number(row.id),
    action: row.action,
    actor: { tokenId: row.actorTokenId, name: row.actor, projects: row.actorProjects },
    version: row.version,
    details: row.details,
    requestId: row.requestId,
    createdAt: row.createdAt.toISOString()
  } as ImageEventView
}

export const ImageEventPageSchema = Page('ImageEventPage', ref(ImageEventSchema), 'A page of events, newest first', [
  { items: ImageEventSchema.examples, nextCursor: null }
])

export const eventSchemas = [ImageEventSchema, ImageEventPageSchema]
