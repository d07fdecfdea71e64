import { OptionalKind } from '@sinclair/typebox'
import { PROBLEM_CODES, PROBLEM_CODE_LIST, type ProblemCode } from './problem-codes.js'
import { problemType, titleFor } from './problem.js'

// What the contract says that the route schemas alone cannot: parameters with a default are
// optional to send, the Problem component is one variant per code (so a generated client knows
// each problem's members), and every media object carries an example.

type Json = Record<string, unknown>
interface MediaObject {
  schema?: Json
  example?: unknown
  examples?: unknown
}
interface Operation {
  operationId?: string
  parameters?: { in: string; name: string; required?: boolean; schema?: Json; example?: unknown }[]
  requestBody?: { required?: boolean; content?: Record<string, MediaObject> }
  responses?: Record<string, { content?: Record<string, MediaObject> }>
}
export interface OpenApiObject {
  paths?: Record<string, Record<string, Operation>>
  components?: { schemas?: Record<string, Json> }
}

const COMPONENT = '#/components/schemas/'

/** VERSION_STATUS_CONFLICT → VersionStatusConflictProblem */
const variantName = (code: ProblemCode) =>
  `${code
    .toLowerCase()
    .split('_')
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('')}Problem`

const hasExtensions = (code: ProblemCode) => 'extensions' in PROBLEM_CODES[code]
const statusSchema = (code: ProblemCode): Json => {
  const status = PROBLEM_CODES[code].status
  return typeof status === 'number' ? { type: 'integer', const: status, examples: [status] } : { type: 'integer', ...status }
}

function problemVariants(base: Json): Record<string, Json> {
  const { errors: _validationOnly, ...baseProperties } = (base.properties ?? {}) as Json
  const required = ((base.required ?? []) as string[]).filter((name) => name in baseProperties)
  const variant = (codes: ProblemCode[], extensions: Json, description: string): Json => ({
    type: 'object',
    description,
    required: [...required, ...Object.keys(extensions).filter((name) => !isOptional(extensions[name] as Json))],
    properties: {
      ...baseProperties,
      code: codes.length === 1 ? { type: 'string', const: codes[0], examples: [codes[0]] } : { type: 'string', enum: codes },
      status: codes.length === 1 ? statusSchema(codes[0]!) : (baseProperties.status as Json),
      ...Object.fromEntries(Object.entries(extensions).map(([name, schema]) => [name, plain(schema as Json)]))
    },
    additionalProperties: false
  })
  const variants: Record<string, Json> = {
    BasicProblem: variant(
      PROBLEM_CODE_LIST.filter((code) => !hasExtensions(code)),
      {},
      'A problem with no members of its own; `code` says which'
    )
  }
  for (const code of PROBLEM_CODE_LIST.filter(hasExtensions)) {
    const definition = PROBLEM_CODES[code] as { description: string; extensions: Json }
    variants[variantName(code)] = variant([code], definition.extensions, `${code}: ${definition.description}`)
  }
  return variants
}

// TypeBox marks optional members with a symbol, which JSON (and so the contract) does not keep.
const isOptional = (schema: Json) => OptionalKind in schema
const extensionsOf = (code: ProblemCode) => (PROBLEM_CODES[code] as { extensions?: Record<string, Json> }).extensions ?? {}
/** The members a problem of this code must carry, from their schemas' examples; undefined when one has none. */
function sampleMembers(code: ProblemCode): Json | undefined {
  const members: Json = {}
  for (const [name, schema] of Object.entries(extensionsOf(code))) {
    if (isOptional(schema)) continue
    if (!Array.isArray(schema.examples)) return undefined
    members[name] = schema.examples[0]
  }
  return members
}
const plain = (schema: Json): Json => JSON.parse(JSON.stringify(schema)) as Json

function discriminatedProblem(schemas: Record<string, Json>): void {
  const base = schemas.Problem
  if (!base || base.oneOf) return
  const variants = problemVariants(base)
  const mapping = Object.fromEntries(
    PROBLEM_CODE_LIST.map((code) => [code, `${COMPONENT}${hasExtensions(code) ? variantName(code) : 'BasicProblem'}`])
  )
  Object.assign(schemas, variants)
  schemas.Problem = {
    title: 'Problem',
    description: base.description,
    oneOf: Object.keys(variants).map((name) => ({ $ref: `${COMPONENT}${name}` })),
    discriminator: { propertyName: 'code', mapping }
  }
}

/**
 * A problem this status is answered with, as its example: of the codes that need no members, the
 * one about the deepest resource of the path (VERSION_NOT_FOUND under …/versions/{version}).
 */
function problemExample(status: number, path: string, instance: string): Json | undefined {
  const resources = path
    .split('/')
    .filter((s) => s && !s.startsWith('{'))
    .map((s) => s.replace(/s$/, '').toUpperCase())
  const candidates = PROBLEM_CODE_LIST.filter((c) => PROBLEM_CODES[c].status === status && sampleMembers(c) !== undefined)
  const depth = (c: ProblemCode) => Math.max(...resources.map((r, i) => (c.startsWith(`${r}_`) ? i : -1)))
  const code = candidates.reduce<ProblemCode | undefined>((best, c) => (best === undefined || depth(c) > depth(best) ? c : best), undefined)
  if (!code) return undefined
  return {
    type: problemType(code),
    title: titleFor(status),
    status,
    detail: `${PROBLEM_CODES[code].description}.`,
    instance,
    code,
    requestId: '6f1c2e0a-3b9d-4a43-9a55-0c5f4f1d2b7e',
    ...sampleMembers(code)
  }
}

function componentExample(schemas: Record<string, Json>, schema: Json | undefined): unknown {
  const target = typeof schema?.$ref === 'string' ? schemas[schema.$ref.slice(COMPONENT.length)] : schema
  const examples = target?.examples
  return Array.isArray(examples) ? examples[0] : undefined
}

function addExamples(schemas: Record<string, Json>, path: string, operation: Operation): void {
  const instance = path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    const parameter = operation.parameters?.find((p) => p.in === 'path' && p.name === name)
    return parameter?.example === undefined ? name : String(parameter.example)
  })
  const fill = (media: MediaObject, fallback: () => unknown) => {
    if (media.example !== undefined || media.examples !== undefined) return
    const example = componentExample(schemas, media.schema) ?? fallback()
    if (example !== undefined) media.example = example
  }
  for (const media of Object.values(operation.requestBody?.content ?? {})) fill(media, () => undefined)
  for (const [status, response] of Object.entries(operation.responses ?? {})) {
    for (const [type, media] of Object.entries(response.content ?? {})) {
      fill(media, () => (type === 'application/problem+json' ? problemExample(Number(status), path, instance) : undefined))
    }
  }
}

export function transformContract(document: OpenApiObject): OpenApiObject {
  const schemas = document.components?.schemas ?? {}
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const operation of Object.values(item)) {
      // A parameter the server fills in with its default need not be sent.
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in !== 'path' && parameter.schema && 'default' in parameter.schema) parameter.required = false
      }
      addExamples(schemas, path, operation)
    }
  }
  discriminatedProblem(schemas)
  return document
}
