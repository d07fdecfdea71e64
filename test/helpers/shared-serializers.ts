/**
 * Response serializers shared between the apps one test process builds.
 *
 * Fastify asks fast-json-stringify for a serializer per route and status, and every such build
 * validates and indexes every shared schema again: most of what an app spends getting ready, and
 * the same work for each app a test file builds. The schemas are the same constants each time, so
 * a serializer built once from a schema and its shared schemas is handed out again for the same
 * pair; a different schema, or different shared schemas, is built afresh by the unchanged compiler.
 * Imported for its effect, before any app is built (Fastify loads the compiler when an app is made).
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'

type Serializer = (data: unknown) => string
type RouteSchema = { schema: unknown; method?: string; url?: string; httpStatus?: string }
type Factory = (externalSchemas: unknown, serializerOpts: unknown) => (route: RouteSchema) => Serializer
type Selector = () => Factory

const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'))
const compilerPath = fromFastify.resolve('@fastify/fast-json-stringify-compiler')
fromFastify(compilerPath)
const compilerModule = fromFastify.cache[compilerPath]
if (!compilerModule) throw new Error(`${compilerPath} was loaded but is not in the module cache`)

const original = compilerModule.exports as Selector & Record<string, unknown>
if (original.shared !== true) {
  const built = new Map<string, Serializer>()
  const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('base64')

  const sharedSelector: Selector = () => {
    const factory = original()
    return (externalSchemas, serializerOpts) => {
      const compile = factory(externalSchemas, serializerOpts)
      const context = digest([externalSchemas, serializerOpts ?? null])
      return (route) => {
        const key = `${context}:${digest(route.schema)}`
        let serializer = built.get(key)
        if (!serializer) {
          serializer = compile(route)
          built.set(key, serializer)
        }
        return serializer
      }
    }
  }
  compilerModule.exports = Object.assign(sharedSelector, original, {
    default: sharedSelector,
    SerializerSelector: sharedSelector,
    shared: true
  })
}
