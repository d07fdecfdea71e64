import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { requireScope } from '../auth/scopes.js'
import { badRequest } from '../http/problem.js'
import { AUTH_PROBLEMS, problemResponses, ref } from '../http/schemas.js'
import { imageETag } from './image-etag.js'
import {
  CreateImageBody,
  ImageCodeParams,
  ImageDetailSchema,
  ImagePageSchema,
  ImageSchema,
  ListImagesQuery,
  UpdateImageBody
} from './images.schemas.js'
import { createImage, deleteImage, getImageDetail, toImage, updateImage, type Caller } from './images.service.js'
import type { ImageVersions } from './image-versions.js'
import { listImagesPage } from './images-list.service.js'

const caller = (request: FastifyRequest): Caller => ({ principal: request.principal, requestId: request.id })
const ifMatch = (request: FastifyRequest): string | undefined => request.headers['if-match']

const ETagHeader = { ETag: Type.String({ description: 'The image revision, for If-Match', examples: ['"r3"'] }) }
const IfMatchHeaders = Type.Object(
  {
    'if-match': Type.Optional(
      Type.String({
        maxLength: 1024,
        description: 'The ETag you read (e.g. "r3"): the change applies only if the image is still at it; omit to apply unconditionally'
      })
    )
  },
  { additionalProperties: true }
)

// code and ownerProject are the image's identity: say so, rather than "unknown property".
const IMMUTABLE = ['code', 'ownerProject'] as const

const imagesRoutes: FastifyPluginAsyncTypebox<{ versions: ImageVersions }> = async (app, { versions }) => {
  const deps = { changes: app.changes, versions }
  app.post(
    '/v1/images',
    {
      schema: {
        operationId: 'createImage',
        tags: ['images'],
        summary:
          'Associate an image with the store (images:write for its owner and debug projects); the owner project manages it from then on',
        body: ref(CreateImageBody),
        response: {
          201: { ...ref(ImageSchema), description: 'Associated; Location names the image', headers: ETagHeader },
          ...problemResponses(...AUTH_PROBLEMS, 409, 422)
        }
      }
    },
    async (request, reply) => {
      const row = await createImage(app.db, deps, caller(request), request.body)
      request.log.info({ imageId: row.id, code: row.code }, 'image associated')
      return reply.code(201).header('location', `/v1/images/${row.code}`).header('etag', imageETag(row.revision)).send(toImage(row))
    }
  )

  app.get(
    '/v1/images',
    {
      schema: {
        operationId: 'listImages',
        tags: ['images'],
        summary: 'List and search images visible to the token (images:read)',
        querystring: ListImagesQuery,
        response: {
          200: ref(ImagePageSchema, 'A page of images'),
          ...problemResponses(...AUTH_PROBLEMS)
        }
      }
    },
    async (request) => listImagesPage(app.db, request.principal, request.query)
  )

  app.get(
    '/v1/images/:code',
    {
      schema: {
        operationId: 'getImage',
        tags: ['images'],
        summary: 'Get an image with its major lines: newest release and version in progress of each (images:read)',
        params: ImageCodeParams,
        response: {
          200: { ...ref(ImageDetailSchema), description: 'The image', headers: ETagHeader },
          ...problemResponses(...AUTH_PROBLEMS, 404)
        }
      }
    },
    async (request, reply) => {
      requireScope(request.principal, 'images:read')
      const image = await getImageDetail(app.db, versions, request.principal, request.params.code)
      return reply.header('etag', imageETag(image.revision)).send(image)
    }
  )

  app.patch(
    '/v1/images/:code',
    {
      schema: {
        operationId: 'updateImage',
        tags: ['images'],
        summary:
          'Edit an image (images:write for its owner project); send If-Match to refuse the edit if the image changed since you read it',
        params: ImageCodeParams,
        headers: IfMatchHeaders,
        body: ref(UpdateImageBody),
        response: {
          200: { ...ref(ImageSchema), description: 'Updated (or unchanged when nothing differed)', headers: ETagHeader },
          ...problemResponses(...AUTH_PROBLEMS, 404, 409, 412, 422)
        }
      },
      preValidation: async (request) => {
        const body = request.body as Record<string, unknown> | null
        const sent = body && typeof body === 'object' ? IMMUTABLE.filter((field) => field in body) : []
        if (sent.length > 0) {
          throw badRequest(
            'IMMUTABLE_FIELD',
            `${sent.join(' and ')} cannot be changed once an image is associated; remove ${sent.length > 1 ? 'them' : 'it'} from the body (associate a new image for a new code).`,
            {
              fields: sent
            }
          )
        }
      }
    },
    async (request, reply) => {
      requireScope(request.principal, 'images:write')
      const row = await updateImage(app.db, deps, caller(request), request.params.code, request.body, ifMatch(request))
      request.log.info({ imageId: row.id, code: row.code, revision: row.revision }, 'image updated')
      return reply.header('etag', imageETag(row.revision)).send(toImage(row))
    }
  )

  app.delete(
    '/v1/images/:code',
    {
      schema: {
        operationId: 'deleteImage',
        tags: ['images'],
        summary: 'Delete an image that has no released or withdrawn version (images:write for its owner project)',
        params: ImageCodeParams,
        headers: IfMatchHeaders,
        response: {
          204: Type.Null({ description: 'Deleted, with its unreleased versions and its audit trail' }),
          ...problemResponses(...AUTH_PROBLEMS, 404, 409, 412)
        }
      }
    },
    async (request, reply) => {
      requireScope(request.principal, 'images:write')
      const row = await deleteImage(app.db, deps, caller(request), request.params.code, ifMatch(request))
      request.log.info({ imageId: row.id, code: row.code }, 'image deleted')
      return reply.code(204).send(null)
    }
  )
}

export default imagesRoutes
