// Every example in the committed contract validates against the schema it illustrates: a generated
// client's docs and mock servers show them as what the service answers, so a wrong one misleads.
import t from 'tap'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { readDocument } from '../helpers/contract/openapi-operations.js'
import { ResponseValidator } from '../helpers/contract/response-validator.js'

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default
const DOC_ID = 'openapi.json'
const doc = readDocument()

const ajv = new Ajv2020({ strict: false, allErrors: true })
addFormats(ajv)
ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components })

type Json = Record<string, unknown>
const pointerPart = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1')
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const SCHEMA_KEYWORDS = ['type', 'properties', '$ref', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'items']

interface Example {
  /** Where the example is, as a JSON pointer. */
  at: string
  /** The schema it must match. */
  schema: Json
  value: unknown
}

/** Media and parameter examples (`example`, `examples.*.value`) and schema `examples` arrays, anywhere. */
function collect(node: unknown, pointer: string, found: Example[]): Example[] {
  if (Array.isArray(node)) node.forEach((item, i) => collect(item, `${pointer}/${i}`, found))
  if (!isObject(node)) return found
  const isSchema = SCHEMA_KEYWORDS.some((k) => k in node)
  if ('schema' in node && isObject(node.schema)) {
    if ('example' in node) found.push({ at: `${pointer}/example`, schema: node.schema, value: node.example })
    if (isObject(node.examples))
      for (const [name, e] of Object.entries(node.examples))
        if (isObject(e) && 'value' in e) found.push({ at: `${pointer}/examples/${name}`, schema: node.schema as Json, value: e.value })
  } else if (isSchema && Array.isArray(node.examples)) {
    node.examples.forEach((value, i) => found.push({ at: `${pointer}/examples/${i}`, schema: node, value }))
  }
  for (const [key, child] of Object.entries(node)) {
    if (key === 'example' || (key === 'examples' && !isSchema && !('schema' in node))) continue
    if (key === 'examples' && Array.isArray(child)) continue
    collect(child, `${pointer}/${pointerPart(key)}`, found)
  }
  return found
}

const examples = collect({ paths: doc.paths, components: doc.components }, '', [])

t.test('the contract has examples for every operation', async (t) => {
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const base = `/paths/${pointerPart(path)}/${method}`
      const responses = Object.keys(operation.responses).filter((status) =>
        examples.some((e) => e.at.startsWith(`${base}/responses/${status}/content/`))
      )
      const withContent = Object.entries(operation.responses).filter(([, r]) => r.content).length
      t.equal(responses.length, withContent, `${method.toUpperCase()} ${path}: an example for every response with a body`)
      if (operation.requestBody)
        t.ok(
          examples.some((e) => e.at.startsWith(`${base}/requestBody/`)),
          `${method.toUpperCase()} ${path}: an example of its request body`
        )
    }
  }
})

t.test('every example in the contract validates against its schema', async (t) => {
  t.ok(examples.length > 300, `${examples.length} examples found`)
  // Many examples share a schema (every timestamp, every problem): each distinct schema is compiled once.
  const validators = new Map<string, ValidateFunction>()
  const failures: string[] = []
  for (const example of examples) {
    const { examples: _own, ...schema } = example.schema
    const key = JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)
    let validate = validators.get(key)
    if (!validate) validators.set(key, (validate = ajv.compile(JSON.parse(key) as Json)))
    if (!validate(example.value))
      failures.push(`${example.at}: ${(validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`).join('; ')}`)
  }
  t.same(failures, [], 'no example breaks its schema')
})

t.test('an example that breaks its schema is caught', async (t) => {
  const validate = ajv.getSchema(`${DOC_ID}#/components/schemas/Problem`)!
  t.notOk(
    validate({ type: 'x', title: 'x', status: 404, detail: 'x', instance: '/', code: 'NO_SUCH_CODE', requestId: 'r' }),
    'an unknown code'
  )
  t.notOk(
    validate({ type: 'x', title: 'x', status: 409, detail: 'x', instance: '/', code: 'VERSION_STATUS_CONFLICT', requestId: 'r' }),
    'a problem without the members its code documents'
  )
})

t.test('the response check of the test helpers refuses what the contract does not allow', async (t) => {
  const validator = new ResponseValidator(doc)
  const json = { 'content-type': 'application/json; charset=utf-8' }
  const problem = { 'content-type': 'application/problem+json; charset=utf-8' }
  const token = { id: 'x' }
  t.throws(
    () =>
      validator.check({
        method: 'GET',
        url: '/v1/tokens/0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55',
        statusCode: 200,
        headers: json,
        body: JSON.stringify(token)
      }),
    /does not match the contract/,
    'a body without the members of its schema'
  )
  t.throws(
    () => validator.check({ method: 'GET', url: '/v1/whoami', statusCode: 418, headers: problem, body: '{}' }),
    /status 418 is not documented/,
    'a status the operation does not document'
  )
  const notFound = {
    type: 'urn:ci-image-store:problem:token-not-found',
    title: 'Not Found',
    status: 404,
    detail: 'No token with id x.',
    instance: '/v1/tokens/x',
    code: 'TOKEN_NOT_FOUND',
    requestId: 'r-1'
  }
  t.doesNotThrow(
    () =>
      validator.check({ method: 'GET', url: '/v1/tokens/x?limit=1', statusCode: 404, headers: problem, body: JSON.stringify(notFound) }),
    'a documented problem'
  )
  t.throws(
    () => validator.check({ method: 'GET', url: '/v1/tokens/x', statusCode: 404, headers: json, body: JSON.stringify(notFound) }),
    /content type "application\/json" is not documented/,
    'a problem sent as plain JSON'
  )
  t.throws(
    () =>
      validator.check({
        method: 'GET',
        url: '/v1/tokens/x',
        statusCode: 404,
        headers: problem,
        body: JSON.stringify({ ...notFound, code: 'TOKEN_GONE' })
      }),
    /does not match the contract/,
    'a code the contract does not list'
  )
  t.same(validator.counts, { validated: 1, excluded: 0 })
  validator.check({
    method: 'GET',
    url: '/docs/static/index.html',
    statusCode: 200,
    headers: { 'content-type': 'text/html' },
    body: '<html>'
  })
  t.same(validator.counts, { validated: 1, excluded: 1 }, 'the reference pages are not part of the contract')
})
