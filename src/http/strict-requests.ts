import { Type } from '@sinclair/typebox'
import type { FastifyInstance, preValidationHookHandler } from 'fastify'
import { validationProblem } from './error-handler.js'

// A route that reads no query parameter refuses them, as the routes that read some refuse the ones
// they do not know: a misspelt parameter is a 400 everywhere, never silently ignored.
const NO_QUERY = Type.Object({}, { additionalProperties: false })

// A JSON `null` parses to a body; a route whose body is optional would read it as no body at all.
const refuseNullBody: preValidationHookHandler = (request, _reply, done) => {
  if (request.body === null) return done(validationProblem([{ instancePath: '', message: 'must be object', params: {} }], 'body'))
  done()
}

/** Applied to each route as it is declared (routes hidden from the contract, the docs, are left as they are). */
export function installStrictRequests(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema
    if (!schema || schema.hide) return
    schema.querystring ??= NO_QUERY
    // A named body ($ref to a component) is an object schema too.
    const body = schema.body as { type?: string; $ref?: string } | undefined
    if (body?.type === 'object' || body?.$ref !== undefined) {
      const existing =
        route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation]
      route.preValidation = [refuseNullBody, ...existing]
    }
  })
}
