/**
 * Requests for one operation of the contract, mostly hostile: wrong types, unknown and missing
 * fields, odd encodings, wrong media types, junk path and query parameters, and tokens of every
 * kind. A request that could be a valid, authorised write is spoiled before it is sent (see
 * `finalizeRequest`), so every write the fuzzer sends must be refused and nothing may change.
 */
import fc from 'fast-check'
import type { Operation, OpenApiDocument } from './openapi-operations.js'
import type { ContractValidator } from './problem-validator.js'
import { HOSTILE_VALUES, UNKNOWN_KEYS, hostileValue, realValue, validValue, wrongValue, type Hints } from './schema-arbitraries.js'

export type TokenKind = 'admin' | 'owner' | 'other' | 'none' | 'malformed'

interface PathValue {
  value: string
  raw: boolean
}
type QueryPart = [name: string, value: string, raw: boolean]
interface BodyPlan {
  label: string
  payload?: string
  contentType?: string
}

export interface RequestPlan {
  token: TokenKind
  malformedHeader: string
  path: Record<string, PathValue>
  query: QueryPart[]
  headers: Record<string, string>
  body: BodyPlan
  spoil: 'token' | 'body' | 'path'
  spoilToken: 'none' | 'malformed' | 'other'
}

export interface FuzzRequest {
  method: Operation['method']
  url: string
  token: TokenKind
  headers: Record<string, string>
  payload?: string
  /** Why the contract says this request must not succeed (empty for reads that may). */
  defects: string[]
  /** A write: the fuzzer only sends refused ones, so any 2xx is a finding. */
  write: boolean
}

/** Reads change nothing the fixture snapshot covers; every other operation is a write. */
export const isRead = (op: Operation) => op.method === 'GET' || /^resolve/.test(op.id)

export const malformedHeaders = (adminToken: string) => [
  'Bearer',
  'Bearer ',
  'Basic YWRtaW46YWRtaW4=',
  'Bearer cis_not-a-real-token',
  `Bearer ${'x'.repeat(5000)}`,
  `Bearer ${adminToken.slice(0, -1)}${adminToken.endsWith('a') ? 'b' : 'a'}`,
  `Bearer ${adminToken} extra`,
  `Token ${adminToken}`,
  `Bearer ${adminToken},Bearer x`,
  'Bearer null',
  'Bearer undefined'
]

const HOSTILE_PATH: PathValue[] = [
  ...[
    'x'.repeat(200),
    'a'.repeat(2000),
    '..',
    '.',
    ' ',
    'é',
    'NODE-20',
    '1.0',
    '01.0.0',
    '1.0.0-rc.1',
    '99999999999.0.0',
    '-1.0.0',
    'null',
    'undefined',
    '__proto__',
    'constructor',
    '1.latest',
    '*',
    '00000000-0000-0000-0000-000000000000',
    'ZZZZZZZZ-0000-0000-0000-000000000000',
    'a\u0000b',
    '😀',
    '%'
  ].map((value) => ({ value, raw: false })),
  ...['%E0%A4%A', '%00', '%2e%2e', '%', '%zz', '..%2F..', '%2F', 'a%20b', '%C0%AE'].map((value) => ({ value, raw: true }))
]

const HOSTILE_QUERY = [
  '',
  '-1',
  '0',
  '101',
  '1.5',
  '1e2',
  'abc',
  'true',
  'null',
  '\u0000',
  'x'.repeat(5000),
  '..',
  '[]',
  '{}',
  'é',
  '😀',
  '2025-13-45T99:00:00Z',
  'lastRelease ',
  'CODE'
]
const UNKNOWN_QUERY = ['foo', '__proto__', 'constructor', 'limit[]', 'LIMIT', '', 'x'.repeat(300), 'project[0]', 'q.x']
const RAW_QUERY_JUNK = ['%', '%zz', '&&', '==', '%00', '%E0%A4%A', 'a=%ff']

const CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'application/vnd.api+json',
  'multipart/form-data; boundary=x',
  'APPLICATION/JSON',
  'application/json;;'
]

function bodyArbitrary(doc: OpenApiDocument, op: Operation, hints: Hints): fc.Arbitrary<BodyPlan> {
  const asJson =
    (label: string) =>
    (value: unknown): BodyPlan => ({ label, payload: JSON.stringify(value), contentType: 'application/json' })
  const literal = fc.constantFrom<unknown>(null, 'x', [], 0, true, {}).map(asJson('literal body'))
  const malformed = fc
    .constantFrom(
      '{"name": ',
      '{',
      "{'a':1}",
      '{"a":1}}',
      '\u0000',
      'nul',
      '[1,]',
      '['.repeat(5000),
      '{"__proto__":{"admin":true}}',
      '{"constructor":{"prototype":{"admin":true}}}',
      '\ufeff{}',
      ''
    )
    .map((payload): BodyPlan => ({ label: 'malformed or poisonous JSON', payload, contentType: 'application/json' }))
  if (!op.body) {
    return fc.oneof(
      { weight: 6, arbitrary: fc.constant<BodyPlan>({ label: 'no body' }) },
      { weight: 1, arbitrary: literal },
      { weight: 1, arbitrary: malformed },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('x', '{"a":1}', 'a=b')
          .chain((payload) =>
            fc
              .constantFrom(...CONTENT_TYPES)
              .map((contentType): BodyPlan => ({ label: 'a body on a body-less operation', payload, contentType }))
          )
      },
      {
        weight: 1,
        arbitrary: fc.constant<BodyPlan>({
          label: 'a 2 MB body on a body-less operation',
          payload: JSON.stringify({ a: 'x'.repeat(2_000_000) }),
          contentType: 'application/json'
        })
      }
    )
  }
  const schema = op.body.schema
  const valid = fc.oneof(validValue(doc, schema, hints), ...(op.body.examples.length ? [fc.constantFrom(...op.body.examples)] : []))
  const asObject = valid.map((v) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}))
  const props = Object.keys((schemaOf(doc, op).properties as Record<string, unknown> | undefined) ?? {})
  const required = (schemaOf(doc, op).required as string[] | undefined) ?? []
  const propSchemas = (schemaOf(doc, op).properties ?? {}) as Record<string, Record<string, unknown>>
  const oneField = props.length
    ? fc
        .tuple(asObject, fc.constantFrom(...props))
        .chain(([body, key]) =>
          fc
            .oneof(wrongValue(doc, propSchemas[key] ?? {}), hostileValue)
            .map((value) => asJson(`body.${key} hostile`)({ ...body, [key]: value }))
        )
    : literal
  const nested = fc.tuple(asObject, hostileValue).map(([body, value]) => {
    // one level down: an object or array member of the body gets the hostile value
    const key = Object.keys(body).find((k) => body[k] !== null && typeof body[k] === 'object')
    if (!key) return asJson('body with hostile member')({ ...body, extra: value })
    const inner = body[key]
    return asJson(`body.${key} member hostile`)({
      ...body,
      [key]: Array.isArray(inner) ? [...inner, value] : { ...(inner as object), public: value, projects: value }
    })
  })
  const missing = required.length
    ? fc.tuple(asObject, fc.constantFrom(...required)).map(([body, key]) => {
        const { [key]: _gone, ...rest } = body
        return asJson(`body without ${key}`)(rest)
      })
    : literal
  const unknown = fc
    .tuple(asObject, fc.constantFrom(...UNKNOWN_KEYS), hostileValue)
    .map(([body, key, value]) => asJson(`body with unknown "${key}"`)({ ...body, [key]: value }))
  const huge = asObject.map((body) => asJson('2 MB body')({ ...body, [props[0] ?? 'x']: 'x'.repeat(2_000_000) }))
  const json = fc.oneof(
    { weight: 3, arbitrary: valid.map(asJson('valid body')) },
    { weight: 6, arbitrary: oneField },
    { weight: 1, arbitrary: nested },
    { weight: 2, arbitrary: missing },
    { weight: 2, arbitrary: unknown },
    { weight: 2, arbitrary: literal },
    { weight: 2, arbitrary: malformed },
    { weight: 1, arbitrary: huge }
  )
  // the same bodies under another (or no) media type
  const otherType = fc
    .tuple(json, fc.constantFrom<string | undefined>(undefined, ...CONTENT_TYPES.slice(1)))
    .map(([b, contentType]): BodyPlan => ({ ...b, label: `${b.label} as ${contentType ?? 'no content type'}`, contentType }))
  const formBody = asObject.map((body): BodyPlan => ({
    label: 'urlencoded form',
    payload: new URLSearchParams(
      Object.entries(body).map(([k, v]): [string, string] => [k, typeof v === 'string' ? v : JSON.stringify(v)])
    ).toString(),
    contentType: 'application/x-www-form-urlencoded'
  }))
  return fc.oneof(
    { weight: 8, arbitrary: json },
    { weight: 2, arbitrary: otherType },
    { weight: 1, arbitrary: formBody },
    { weight: 1, arbitrary: fc.constant<BodyPlan>({ label: 'no body' }) }
  )
}

const schemaOf = (doc: OpenApiDocument, op: Operation) => {
  const s = op.body?.schema ?? {}
  return typeof s.$ref === 'string' ? (doc.components.schemas[s.$ref.split('/').pop() ?? ''] ?? {}) : s
}

function pathArbitrary(doc: OpenApiDocument, op: Operation, hints: Hints): fc.Arbitrary<Record<string, PathValue>> {
  const model = Object.fromEntries(
    op.pathParams.map((p) => [
      p.name,
      fc.oneof(
        { weight: 6, arbitrary: validValue(doc, p.schema, hints, 0, p.name).map((v): PathValue => ({ value: String(v), raw: false })) },
        { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_PATH) },
        { weight: 1, arbitrary: hostileValue.map((v): PathValue => ({ value: typeof v === 'string' ? v : JSON.stringify(v), raw: false })) }
      )
    ])
  )
  return fc.record(model) as fc.Arbitrary<Record<string, PathValue>>
}

function queryArbitrary(doc: OpenApiDocument, op: Operation, hints: Hints): fc.Arbitrary<QueryPart[]> {
  const perParam = op.queryParams.map((p) => {
    const valid = validValue(doc, p.schema, hints, 0, p.name).map((v) => (Array.isArray(v) ? v.map(String) : [String(v)]))
    return fc
      .oneof(
        { weight: 3, arbitrary: fc.constant<string[]>([]) },
        { weight: 4, arbitrary: valid },
        { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_QUERY).map((v) => [v]) },
        { weight: 1, arbitrary: fc.tuple(valid, fc.constantFrom(...HOSTILE_QUERY)).map(([a, b]) => [...a, b]) }, // repeated
        { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_VALUES.filter((v) => typeof v !== 'string')).map((v) => [JSON.stringify(v)]) }
      )
      .map((values) => values.map((value): QueryPart => [p.name, value, false]))
  })
  const unknown = fc.array(
    fc.oneof(
      fc.tuple(fc.constantFrom(...UNKNOWN_QUERY), fc.constantFrom('1', '', 'x')).map(([n, v]): QueryPart => [n, v, false]),
      fc.constantFrom(...RAW_QUERY_JUNK).map((junk): QueryPart => [junk, '', true])
    ),
    { maxLength: 2 }
  )
  return fc
    .tuple(fc.tuple(...perParam), fc.oneof({ weight: 3, arbitrary: fc.constant<QueryPart[]>([]) }, { weight: 1, arbitrary: unknown }))
    .map(([known, extra]) => [...known.flat(), ...extra])
}

function headerArbitrary(op: Operation): fc.Arbitrary<Record<string, string>> {
  const model = Object.fromEntries(
    op.headerParams.map((p) => [
      p.name,
      fc.option(fc.constantFrom('"r1"', '"r2"', '*', 'W/"r1"', '', 'r1', 'x'.repeat(2000), 'fuzz-key-1', '"', 'null'), { nil: undefined })
    ])
  )
  return (fc.record(model) as fc.Arbitrary<Record<string, string | undefined>>).map((h) =>
    Object.fromEntries(Object.entries(h).filter((e): e is [string, string] => e[1] !== undefined))
  )
}

const foreignTokens = fc.constantFrom<TokenKind>('other', 'other', 'none', 'malformed')

/**
 * Two shapes: hostile requests with any token (mostly ones that get past authentication, so the
 * body and parameters are what is tested), and well-formed requests on the fixture's real
 * resources with a token that may not act on them (another project's, none, a broken one).
 */
export function requestPlanArbitrary(doc: OpenApiDocument, op: Operation, hints: Hints, adminToken: string): fc.Arbitrary<RequestPlan> {
  const common = {
    malformedHeader: fc.constantFrom(...malformedHeaders(adminToken)),
    headers: headerArbitrary(op),
    spoil: fc.constantFrom<RequestPlan['spoil']>('token', 'body', 'path'),
    spoilToken: fc.constantFrom<RequestPlan['spoilToken']>('none', 'malformed', 'other')
  }
  const hostile = fc.record({
    ...common,
    token: fc.constantFrom<TokenKind>('admin', 'admin', 'owner', 'owner', 'other', 'none', 'malformed'),
    path: pathArbitrary(doc, op, hints),
    query: queryArbitrary(doc, op, hints),
    body: bodyArbitrary(doc, op, hints)
  })
  const realPath = fc.record(
    Object.fromEntries(
      op.pathParams.map((p) => [p.name, realValue(doc, p.schema, hints, p.name).map((v): PathValue => ({ value: String(v), raw: false }))])
    )
  ) as fc.Arbitrary<Record<string, PathValue>>
  const validBody: fc.Arbitrary<BodyPlan> = op.body
    ? validValue(doc, op.body.schema, hints).map((v) => ({
        label: 'valid body, foreign token',
        payload: JSON.stringify(v),
        contentType: 'application/json'
      }))
    : fc.constant({ label: 'no body, foreign token' })
  const realQuery = fc
    .tuple(
      ...op.queryParams
        .filter((p) => p.required && p.schema.default === undefined)
        .map((p) => realValue(doc, p.schema, hints, p.name).map((v): QueryPart => [p.name, String(v), false]))
    )
    .map((parts) => parts)
  const foreign = fc.record({ ...common, token: foreignTokens, path: realPath, query: realQuery, body: validBody })
  return fc.oneof({ weight: 3, arbitrary: hostile }, { weight: 1, arbitrary: foreign })
}

/** encodeURIComponent, except that a lone surrogate goes out as the (invalid) UTF-8 bytes a careless client would send. */
function encode(s: string): string {
  return Array.from(s)
    .map((ch) => {
      const u = ch.charCodeAt(0)
      if (ch.length > 1 || u < 0xd800 || u > 0xdfff) return encodeURIComponent(ch)
      return [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 0x3f), 0x80 | (u & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('')
    })
    .join('')
}

// the server reads application/json and its variants (application/merge-patch+json, …) alike: none of them is a defect
const isJsonType = (contentType: string | undefined) =>
  contentType !== undefined && /^application\/([a-z0-9.+-]+\+)?json/i.test(contentType)

/** What makes the request one the contract refuses (path, body, token), checked with the document's own schemas. */
function defectsOf(op: Operation, plan: RequestPlan, validator: ContractValidator): { path: string[]; body: string[]; auth: string[] } {
  const path = op.pathParams.flatMap((p) => {
    const v = plan.path[p.name]
    if (!v) return []
    if (v.raw) return [`path ${p.name} is raw "${v.value}"`]
    const shown = v.value.slice(0, 40)
    return validator.parameter(p.schema)(v.value) ? [] : [`path ${p.name} "${shown}" breaks its schema`]
  })
  const body: string[] = []
  if (op.body) {
    const { payload, contentType } = plan.body
    if (payload === undefined || payload === '') {
      if (op.body.required) body.push('no body')
    } else if (!isJsonType(contentType)) body.push(`content type ${contentType ?? 'none'}`)
    else {
      let parsed: unknown
      try {
        parsed = JSON.parse(payload)
      } catch {
        body.push('malformed JSON')
      }
      if (body.length === 0 && !validator.at(op.body.pointer)(parsed))
        body.push(
          `body breaks its schema (${validator.at(op.body.pointer).errors?.[0]?.instancePath ?? ''} ${validator.at(op.body.pointer).errors?.[0]?.message ?? ''})`
        )
    }
  }
  const auth = plan.token === 'admin' || plan.token === 'owner' ? [] : [`token ${plan.token}`]
  return { path, body, auth }
}

/** Turns a plan into the request to send; a write that could be valid and authorised gets one defect added. */
export function finalizeRequest(op: Operation, plan: RequestPlan, validator: ContractValidator): FuzzRequest {
  const write = !isRead(op)
  let p = plan
  let d = defectsOf(op, p, validator)
  if (write && d.path.length + d.body.length + d.auth.length === 0) {
    const spoil = plan.spoil === 'body' && !op.body ? 'token' : plan.spoil === 'path' && op.pathParams.length === 0 ? 'token' : plan.spoil
    if (spoil === 'token') p = { ...p, token: p.spoilToken }
    else if (spoil === 'body')
      p = { ...p, body: { label: 'literal null body (spoiled)', payload: 'null', contentType: 'application/json' } }
    else p = { ...p, path: { ...p.path, [op.pathParams[0]!.name]: { value: '..', raw: false } } }
    d = defectsOf(op, p, validator)
    if (d.path.length + d.body.length + d.auth.length === 0) throw new Error(`could not spoil a valid write of ${op.id}`)
  }
  let url = op.path
  for (const [name, v] of Object.entries(p.path)) url = url.replace(`{${name}}`, v.raw ? v.value : encode(v.value))
  if (p.query.length) url += `?${p.query.map(([n, v, raw]) => (raw ? n : `${encode(n)}=${encode(v)}`)).join('&')}`
  const headers: Record<string, string> = { ...p.headers }
  if (p.token === 'malformed') headers.authorization = p.malformedHeader
  if (p.body.contentType !== undefined && p.body.payload !== undefined) headers['content-type'] = p.body.contentType
  return {
    method: op.method,
    url,
    token: p.token,
    headers,
    ...(p.body.payload !== undefined ? { payload: p.body.payload } : {}),
    defects: [...d.auth, ...d.path, ...d.body, `(${p.body.label})`],
    write
  }
}
