import { Type, type Static } from '@sinclair/typebox'
import { Nullable, Timestamp, Uuid } from '../http/schemas.js'
import type { ImageEventRow } from './events.table.js'

// One event of the outbox as the world sees it: the catalog-wide feed lists these, and a webhook
// delivery carries one as its CloudEvent's data. Everything a consumer needs is in it (the image,
// the version, the digest and what to pull), also after the image or the version has gone.
export const CatalogEventSchema = Type.Object(
  {
    id: Type.Integer({ description: 'Position in the outbox: events are numbered in the order their changes committed' }),
    type: Type.String({
      description: 'Dotted type: image.associated, image.updated, image.deleted, version.submitted, version.released, …',
      examples: ['version.released']
    }),
    time: Timestamp,
    imageCode: Nullable(Type.String(), { description: 'The image concerned; null for events of no image (webhook.disabled)' }),
    project: Nullable(Type.String(), {
      description: "The image's owner project when it happened (for webhook events, the subscription's)"
    }),
    version: Nullable(Type.String(), { description: "The version concerned ('M.m.p'), for version events" }),
    digest: Nullable(Type.String(), { description: 'The pinned digest when it happened' }),
    pinnedReference: Nullable(Type.String(), { description: 'registry/repository@digest: what a pipeline pulls' }),
    tag: Nullable(Type.String(), { description: 'The tag the version was submitted with' }),
    platforms: Nullable(
      Type.Array(
        Type.Object(
          { os: Type.String(), architecture: Type.String(), variant: Type.Optional(Type.String()) },
          { additionalProperties: false }
        )
      ),
      { description: 'Runnable platforms found by the check' }
    ),
    actor: Type.Object(
      {
        tokenId: Nullable(Uuid, { description: 'The token that did it; null for the service itself' }),
        name: Type.String({ description: "The token's name (a label)" }),
        projects: Nullable(Type.Array(Type.String()), { description: 'The projects the token acted for; null = every project' })
      },
      { additionalProperties: false }
    ),
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'What changed, by event type' }),
    requestId: Nullable(Type.String(), { description: 'The request that made the change' })
  },
  {
    $id: 'CatalogEvent',
    title: 'CatalogEvent',
    description: 'One event of the catalog-wide feed (and the data of a webhook delivery)',
    additionalProperties: false,
    examples: [
      {
        id: 1042,
        type: 'version.released',
        time: '2026-12-01T18:05:00.000Z',
        imageCode: 'node-20',
        project: 'payments',
        version: '1.4.2',
        digest: 'sha256:3f1c5b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a291807',
        pinnedReference: 'harbor.example.com/ci/node@sha256:3f1c5b2a9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a29180f7e6d5c4b3a291807',
        tag: '20.12-1',
        platforms: [{ os: 'linux', architecture: 'amd64' }],
        actor: { tokenId: '0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55', name: 'payments-publisher', projects: ['payments'] },
        details: {},
        requestId: '6f1c2e0a-3b9d-4a43-9a55-0c5f4f1d2b7e'
      }
    ]
  }
)

export type CatalogEvent = Static<typeof CatalogEventSchema>

export function toCatalogEvent(row: ImageEventRow): CatalogEvent {
  return {
    id: Number(row.id),
    type: row.action,
    time: row.createdAt.toISOString(),
    imageCode: row.imageCode,
    project: row.ownerProject,
    version: row.version,
    digest: row.digest,
    pinnedReference: row.pinnedReference,
    tag: row.tag,
    platforms: (row.platforms as CatalogEvent['platforms']) ?? null,
    actor: { tokenId: row.actorTokenId, name: row.actor, projects: row.actorProjects },
    details: row.details,
    requestId: row.requestId
  }
}
