import { Type, type Static } from '@sinclair/typebox'
import { Timestamp, Uuid } from '../http/schemas.js'
import type { ImageEventRow } from './events.table.js'

export const ImageEventSchema = Type.Object(
  {
    id: Type.Integer({ description: 'Increases with time; events are listed newest first' }),
    action: Type.String({
      description: 'image.associated, image.updated, version.submitted, version.released, …',
      examples: ['image.updated']
    }),
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
    details: Type.Record(Type.String(), Type.Unknown(), { description: 'What changed; image.updated has `changes`: field → {from, to}' }),
    requestId: Type.Union([Type.String(), Type.Null()], { description: 'The request that made the change' }),
    createdAt: Timestamp
  },
  {
    $id: 'ImageEvent',
    title: 'ImageEvent',
    description: "One entry of an image's audit trail",
    additionalProperties: false,
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

export function toImageEvent(row: ImageEventRow): ImageEventView {
  return {
    id: Number(row.id),
    action: row.action,
    actor: { tokenId: row.actorTokenId, name: row.actor, projects: row.actorProjects },
    version: row.version,
    details: row.details,
    requestId: row.requestId,
    createdAt: row.createdAt.toISOString()
  }
}

export const eventSchemas = [ImageEventSchema]
