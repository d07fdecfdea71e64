/**
 * The committed contract as a list of operations, read at run time so that a route added or
 * changed is fuzzed (and checked) without anyone editing a list in a test.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export type JsonSchema = Record<string, unknown>

export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>
  components: { schemas: Record<string, JsonSchema> }
}

interface RawOperation {
  operationId?: string
  parameters?: RawParameter[]
  requestBody?: {
    required?: boolean
    content: Record<string, { schema: JsonSchema; example?: unknown; examples?: Record<string, { value: unknown }> }>
  }
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>
}

interface RawParameter {
  in: 'path' | 'query' | 'header'
  name: string
  required?: boolean
  schema: JsonSchema
  example?: unknown
}

export interface Parameter {
  name: string
  required: boolean
  schema: JsonSchema
  example?: unknown
}

export interface Operation {
  id: string
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** As documented, e.g. /v1/images/{code} */
  path: string
  pathParams: Parameter[]
  queryParams: Parameter[]
  headerParams: Parameter[]
  /** The JSON body, when the operation documents one. */
  body?: { required: boolean; schema: JsonSchema; pointer: string; examples: unknown[] }
  statuses: number[]
  /** JSON pointer (inside the document) of the schema of each documented JSON answer. */
  responsePointers: Map<number, string>
}

export const OPENAPI_PATH = fileURLToPath(new URL('../../../openapi/openapi.json', import.meta.url))

export function readDocument(path = OPENAPI_PATH): OpenApiDocument {
  return JSON.parse(readFileSync(path, 'utf8')) as OpenApiDocument
}

const pointerPart = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1')

export function listOperations(doc: OpenApiDocument): Operation[] {
  const operations: Operation[] = []
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue
      const base = `#/paths/${pointerPart(path)}/${method}`
      const params = raw.parameters ?? []
      const pick = (where: RawParameter['in']) =>
        params
          .filter((p) => p.in === where)
          .map((p) => ({ name: p.name, required: p.required === true, schema: p.schema, example: p.example }))
      const json = raw.requestBody?.content['application/json']
      const responsePointers = new Map<number, string>()
      for (const [status, response] of Object.entries(raw.responses)) {
        if (response.content?.['application/json'])
          responsePointers.set(Number(status), `${base}/responses/${status}/content/application~1json/schema`)
      }
      operations.push({
        id: raw.operationId ?? `${method} ${path}`,
        method: method.toUpperCase() as Operation['method'],
        path,
        pathParams: pick('path'),
        queryParams: pick('query'),
        headerParams: pick('header'),
        ...(json
          ? {
              body: {
                required: raw.requestBody?.required === true,
                schema: json.schema,
                pointer: `${base}/requestBody/content/application~1json/schema`,
                examples: [...(json.example !== undefined ? [json.example] : []), ...Object.values(json.examples ?? {}).map((e) => e.value)]
              }
            }
          : {}),
        statuses: Object.keys(raw.responses).map(Number),
        responsePointers
      })
    }
  }
  return operations
}

/** Follows `$ref`s into the document's components (one level at a time, as often as needed). */
export function deref(doc: OpenApiDocument, schema: JsonSchema): JsonSchema {
  let s = schema
  while (typeof s.$ref === 'string') {
    const parts = s.$ref
      .replace(/^#\//, '')
      .split('/')
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    let target: unknown = doc
    for (const part of parts) target = (target as Record<string, unknown>)[part]
    if (!target) throw new Error(`unresolved $ref ${s.$ref}`)
    s = target as JsonSchema
  }
  return s
}

/** Properties the document lists for an object body (after $ref), for fixtures that must follow the contract. */
export function bodyProperties(doc: OpenApiDocument, op: Operation | undefined): string[] {
  const schema = op?.body ? deref(doc, op.body.schema) : {}
  return Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {})
}
