/**
 * fast-check arbitraries from JSON schemas: values the schema accepts (seeded with the document's
 * examples and the fixture's real identifiers, so requests reach the handlers) and values an
 * attacker or a careless client would send instead. Whether a generated value is really valid is
 * decided afterwards by the document's validator, never assumed here.
 */
import fc from 'fast-check'
import { deref, type JsonSchema, type OpenApiDocument } from './openapi-operations.js'

/** Values that break type, length, encoding or meaning somewhere. */
export const HOSTILE_VALUES: unknown[] = [
  0,
  -1,
  1.5,
  1e308,
  2 ** 53 + 1,
  true,
  false,
  '',
  ' ',
  'x',
  '0',
  '1',
  'true',
  'null',
  '[]',
  '{}',
  null,
  [],
  [''],
  [null],
  [1, 1],
  {},
  { a: 1 },
  'A'.repeat(5000),
  '\u0000',
  'a\u0000b',
  'bad\u202eevil\u200b',
  '\ud800',
  '😀'.repeat(40),
  'Ǆ\u0301\uFEFF',
  '../..',
  '..',
  '%00',
  '%E0%A4%A',
  '__proto__',
  'constructor',
  'line\r\nInjected: yes',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '9'.repeat(400),
  '-0',
  '1e3',
  ' 1',
  'ADMIN',
  'admin',
  '*',
  'docker.io',
  'harbor',
  '127.0.0.1:1',
  '[::1]',
  'localhost'
]

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE_VALUES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) }
)

/** Real values of the fixture (codes, ids, projects) and plausible ones, tried against each string schema; by property or parameter name they win. */
export interface Hints {
  strings: string[]
  byName: Record<string, string[]>
}

const patternOf = (s: JsonSchema) => (typeof s.pattern === 'string' ? new RegExp(s.pattern, 'u') : undefined)

function stringArbitrary(s: JsonSchema, hints: Hints, name?: string): fc.Arbitrary<string> {
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as string[]))
  const examples = Array.isArray(s.examples) ? (s.examples as string[]) : []
  const pattern = patternOf(s)
  const named = (name ? (hints.byName[name] ?? []) : []).filter((h) => !pattern || pattern.test(h))
  const fitting = hints.strings.filter((h) => !pattern || pattern.test(h))
  const seeds = [...new Set([...examples, ...fitting])]
  const generated =
    s.format === 'uuid'
      ? fc.uuid()
      : s.format === 'date-time'
        ? fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString())
        : pattern
          ? fc.stringMatching(pattern).filter((v) => v.length <= Number(s.maxLength ?? 200))
          : fc.string({ minLength: Number(s.minLength ?? 0), maxLength: Math.min(Number(s.maxLength ?? 30), 30) })
  const some =
    seeds.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...seeds) }, { weight: 1, arbitrary: generated }) : generated
  return named.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...named) }, { weight: 1, arbitrary: some }) : some
}

/** Only the fixture's real values for a name (e.g. its image code), when there are any. */
export function realValue(doc: OpenApiDocument, schema: JsonSchema, hints: Hints, name: string): fc.Arbitrary<unknown> {
  const pattern = patternOf(deref(doc, schema))
  const real = hints.byName[name]?.filter((h) => !pattern || pattern.test(h))
  return real?.length ? fc.constantFrom(...real) : validValue(doc, schema, hints, 0, name)
}

/** A value the schema (probably) accepts. */
export function validValue(doc: OpenApiDocument, schema: JsonSchema, hints: Hints, depth = 0, name?: string): fc.Arbitrary<unknown> {
  const s = deref(doc, schema)
  if (s.const !== undefined) return fc.constant(s.const)
  if (Array.isArray(s.anyOf) || Array.isArray(s.oneOf)) {
    return fc.oneof(...((s.anyOf ?? s.oneOf) as JsonSchema[]).map((branch) => validValue(doc, branch, hints, depth, name)))
  }
  const type = Array.isArray(s.type) ? (s.type as string[])[0] : (s.type as string | undefined)
  switch (type) {
    case 'string':
      return stringArbitrary(s, hints, name)
    case 'integer': {
      // small numbers are the ones that mean something here (a line, a page size)
      const min = Number(s.minimum ?? -1000)
      const max = Number(s.maximum ?? 1000)
      return fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min, max: Math.min(max, min + 5) }) },
        { weight: 1, arbitrary: fc.integer({ min, max }) }
      )
    }
    case 'number':
      return fc.double({ min: Number(s.minimum ?? -1000), max: Number(s.maximum ?? 1000), noNaN: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    case 'array': {
      const items = s.items ? validValue(doc, s.items as JsonSchema, hints, depth + 1, name) : fc.string()
      const minLength = Number(s.minItems ?? 0)
      return fc
        .array(items, { minLength, maxLength: Math.max(minLength, Math.min(Number(s.maxItems ?? 3), 3)) })
        .map((a) => (s.uniqueItems ? [...new Set(a)] : a))
    }
    case 'object': {
      if (depth > 4) return fc.constant({})
      const props = (s.properties ?? {}) as Record<string, JsonSchema>
      const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, validValue(doc, v, hints, depth + 1, k)]))
      return fc.record(model, { requiredKeys: ((s.required ?? []) as string[]).filter((k) => k in props) })
    }
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** A value of the wrong JSON type for the schema, or a right-typed value out of its range. */
export function wrongValue(doc: OpenApiDocument, schema: JsonSchema): fc.Arbitrary<unknown> {
  const s = deref(doc, schema)
  const type = Array.isArray(s.type) ? (s.type as string[])[0] : s.type
  const wrongTypes: unknown[] =
    type === 'string'
      ? [0, 12345, true, null, [], {}, ['x']]
      : type === 'integer' || type === 'number'
        ? ['', '1', '1.0', 'one', true, null, [], {}, [1], 1.5]
        : type === 'boolean'
          ? ['', 'true', 'false', 0, 1, null, [], {}]
          : type === 'array'
            ? ['', 'x', 0, null, {}, { 0: 'x' }]
            : type === 'object'
              ? ['', 'x', 0, null, [], true]
              : ['', 0, null, [], {}]
  return fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...wrongTypes) }, { weight: 1, arbitrary: hostileValue })
}

/** Property names no schema here declares, including ones that poison naive merging. */
export const UNKNOWN_KEYS = [
  'isAdmin',
  'admin',
  'role',
  'owners',
  'id',
  'status',
  'digest',
  'project',
  'tokenId',
  'constructor',
  'prototype',
  'Name',
  'name ',
  ''
]
