/**
 * Every answer a test gets through `call()` is checked against the committed contract: its status
 * must be documented for the operation (found by route template), and its body must match that
 * status's schema for its content type. A breach throws, so the test that produced it fails.
 * The validator reads openapi/openapi.json, not the route schemas, so it catches the code and the
 * document drifting apart in either direction.
 */
import { appendFileSync } from 'node:fs'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { readDocument, type OpenApiDocument } from './openapi-operations.js'

// ajv-formats is CommonJS: under NodeNext its default export is the module object
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const DOC_ID = 'openapi.json'
/** One line per test process: its file, validated and excluded counts (summed by the lead). */
export const VALIDATION_SUMMARY_FILE = '/tmp/ci-image-store-responses-validated.log'

// Served by the app but not part of the API the contract describes (hidden from it on purpose).
const NOT_IN_CONTRACT = [/^\/docs(\/|$)/, /^\/openapi\.json$/]

interface Answer {
  method: string
  url: string
  statusCode: number
  headers: Record<string, unknown>
  body: string
}

interface DocumentedResponse {
  content?: Record<string, unknown>
}

const pointerPart = (s: string) => s.replaceAll('~', '~0').replaceAll('/', '~1')
const isJson = (mediaType: string) => mediaType === 'application/json' || mediaType.endsWith('+json')

export class ContractBreach extends Error {
  override name = 'ContractBreach'
}

export class ResponseValidator {
  readonly counts = { validated: 0, excluded: 0 }
  private readonly ajv: Ajv2020
  private readonly validators = new Map<string, ValidateFunction>()
  private readonly templates: { path: string; segments: string[]; literals: number }[]

  constructor(private readonly doc: OpenApiDocument) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true })
    addFormats(this.ajv)
    this.ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components })
    // Literal segments win over parameters, as in the router.
    this.templates = Object.keys(doc.paths)
      .map((path) => {
        const segments = path.split('/')
        return { path, segments, literals: segments.filter((s) => !s.startsWith('{')).length }
      })
      .sort((a, b) => b.literals - a.literals)
  }

  /**
   * Throws a ContractBreach describing how the answer departs from the contract. `testRoutes` are
   * routes a test added to the app for itself (Fastify syntax): not the service's, not checked.
   */
  check(answer: Answer, testRoutes: Iterable<string> = []): void {
    const path = new URL(answer.url, 'http://app.invalid').pathname
    const method = answer.method.toLowerCase()
    const template = this.templateOf(path)
    const operation = template ? (this.doc.paths[template] as Record<string, { responses: Record<string, DocumentedResponse> }>) : undefined
    // HEAD is GET without a body (Fastify answers it for every GET route).
    const documented = operation?.[method === 'head' ? 'get' : method]
    const addedByTest = !documented && [...testRoutes].some((route) => matches(route.split('/'), path.split('/'), ':'))
    if (NOT_IN_CONTRACT.some((re) => re.test(path)) || (method === 'options' && !documented) || addedByTest) {
      this.counts.excluded++
      return
    }
    const where = `${answer.method} ${answer.url} → ${answer.statusCode}`
    const contentType = String(answer.headers['content-type'] ?? '')
      .split(';')[0]!
      .trim()
    if (!documented) {
      // No such operation: the router's own answers (404 ROUTE_NOT_FOUND, 405 METHOD_NOT_ALLOWED) are problems.
      this.validate(where, '/components/schemas/Problem', contentType, 'application/problem+json', answer.body)
      this.counts.validated++
      return
    }
    const pointerBase = `/paths/${pointerPart(template!)}/${method === 'head' ? 'get' : method}/responses`
    const status = String(answer.statusCode)
    const response = documented.responses[status] ?? documented.responses[`${status[0]}XX`] ?? documented.responses.default
    if (!response) {
      throw new ContractBreach(
        `${where}: status ${status} is not documented for this operation (documented: ${Object.keys(documented.responses).join(', ')}). Body: ${clip(answer.body)}`
      )
    }
    const key = documented.responses[status] ? status : documented.responses[`${status[0]}XX`] ? `${status[0]}XX` : 'default'
    const media = Object.keys(response.content ?? {})
    if (method === 'head' || media.length === 0) {
      if (method !== 'head' && answer.body.length > 0)
        throw new ContractBreach(
          `${where}: the contract documents no body for ${status}, but one came (${contentType}): ${clip(answer.body)}`
        )
      this.counts.validated++
      return
    }
    if (!media.includes(contentType))
      throw new ContractBreach(`${where}: content type "${contentType}" is not documented for ${status} (documented: ${media.join(', ')})`)
    this.validate(
      where,
      `${pointerBase}/${pointerPart(key)}/content/${pointerPart(contentType)}/schema`,
      contentType,
      contentType,
      answer.body
    )
    this.counts.validated++
  }

  private templateOf(path: string): string | undefined {
    const segments = path.split('/')
    return this.templates.find((t) => matches(t.segments, segments, '{'))?.path
  }

  private validate(where: string, pointer: string, contentType: string, expected: string, body: string): void {
    if (contentType !== expected) throw new ContractBreach(`${where}: content type "${contentType}", the contract says ${expected}`)
    if (!isJson(contentType)) return
    let value: unknown
    try {
      value = JSON.parse(body)
    } catch {
      throw new ContractBreach(`${where}: the body is not JSON though the content type is ${contentType}: ${clip(body)}`)
    }
    let validate = this.validators.get(pointer)
    if (!validate) {
      validate = this.ajv.getSchema(`${DOC_ID}#${pointer}`)
      if (!validate) throw new ContractBreach(`${where}: no schema at ${pointer} in the contract`)
      this.validators.set(pointer, validate)
    }
    if (!validate(value)) {
      const errors = (validate.errors ?? [])
        .slice(0, 5)
        .map((e) => `${e.instancePath || '(body)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`)
        .join('; ')
      throw new ContractBreach(`${where}: the body does not match the contract (${pointer}): ${errors}. Body: ${clip(body)}`)
    }
  }
}

const matches = (template: string[], segments: string[], parameter: string) =>
  template.length === segments.length && template.every((part, i) => part.startsWith(parameter) || part === segments[i])

const clip = (s: string, n = 600) => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s)

let shared: ResponseValidator | undefined

/** The process's validator, reading the committed document once; its counts are recorded at exit. */
export function responseValidator(): ResponseValidator {
  if (shared) return shared
  const validator = new ResponseValidator(readDocument())
  shared = validator
  process.once('exit', () => {
    const file = process.argv.find((a) => a.endsWith('.test.ts')) ?? process.argv[1] ?? 'unknown'
    const { validated, excluded } = validator.counts
    appendFileSync(VALIDATION_SUMMARY_FILE, `${new Date().toISOString()}\t${file}\t${validated}\t${excluded}\n`)
  })
  return validator
}
