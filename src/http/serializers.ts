import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import type { FastifyServerOptions } from 'fastify'

type SerializerFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>['buildSerializer'] & {}
type Serializer = ReturnType<ReturnType<SerializerFactory>>

// The compiler Fastify itself would use (its dependency, resolved from it): the cache below changes
// how often a serializer is built, never what builds it.
const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'))
const fastifyCompiler = fromFastify('@fastify/fast-json-stringify-compiler') as { SerializerSelector: () => SerializerFactory }

// Per process, so every app a process builds (tests build many) reuses what the first one built.
const built = new Map<string, Serializer>()
// The shared schemas are the features' constants, handed to every plugin context again: each is
// stringified and hashed once.
const sharedDigests = new WeakMap<object, string>()

function sharedDigest(schema: object): string {
  let known = sharedDigests.get(schema)
  if (known === undefined) {
    known = hash(JSON.stringify(schema))
    sharedDigests.set(schema, known)
  }
  return known
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('base64')
}

/**
 * The response serializer compiler (Fastify's `compilersFactory.buildSerializer`): one serializer
 * per distinct schema instead of one per route and status code.
 *
 * Fastify asks for a serializer for every route and status in every plugin context, some 700 for
 * this service from about 50 distinct schemas, and each build validates and indexes every shared
 * schema again: seconds of start-up. What a serializer writes depends only on its schema, the
 * shared schemas and the serializer options (not on the route's method, URL or status), so one
 * built for the same three is handed out again, and the output is byte for byte what a serializer
 * built afresh would write. Schemas are compared by their JSON text: two that differ only in key
 * order are merely built twice.
 */
export function serializersBySchema(): SerializerFactory {
  const factory = fastifyCompiler.SerializerSelector()
  return (externalSchemas, options) => {
    const shared = Object.entries((externalSchemas ?? {}) as Record<string, object>).map(([id, schema]) => `${id}=${sharedDigest(schema)}`)
    const context = hash(JSON.stringify([shared, options ?? null]))
    let compile: ReturnType<SerializerFactory> | undefined
    return (route) => {
      const key = `${context}:${hash(JSON.stringify(route.schema) ?? '')}`
      let serializer = built.get(key)
      if (serializer === undefined) {
        compile ??= factory(externalSchemas, options)
        serializer = compile(route)
        built.set(key, serializer)
      }
      return serializer
    }
  }
}
