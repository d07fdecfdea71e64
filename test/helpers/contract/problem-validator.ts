/**
 * Validators compiled from the committed document itself (not from the route schemas the server
 * uses), so a difference between what the server does and what the contract says shows up.
 * Bodies are checked without type coercion, as the contract promises for JSON; path and query
 * parameters with coercion, as strings on the wire are documented to be read.
 */
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import type { JsonSchema, OpenApiDocument } from './openapi-operations.js'

// ajv-formats is CommonJS: under NodeNext its default export is the module object
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

const DOC_ID = 'openapi.json'

export interface ContractValidator {
  problem: ValidateFunction
  /** The schema at a JSON pointer inside the document (e.g. a request body or a response). */
  at(pointer: string): ValidateFunction
  /** A parameter's schema, reading values as strings from the wire (coercion, like the server). */
  parameter(schema: JsonSchema): ValidateFunction
  /** A value (e.g. a body) against a schema, strictly: no coercion, no defaults. */
  strict(schema: JsonSchema): ValidateFunction
}

function ajvFor(doc: OpenApiDocument, coerce: boolean): Ajv {
  const ajv = new Ajv({
    strict: false,
    allErrors: false,
    validateFormats: true,
    ...(coerce ? { coerceTypes: 'array' as const, useDefaults: true } : {})
  })
  addFormats(ajv)
  ajv.addSchema({ $id: DOC_ID, paths: doc.paths, components: doc.components })
  return ajv
}

export function contractValidator(doc: OpenApiDocument): ContractValidator {
  const strictAjv = ajvFor(doc, false)
  const coercingAjv = ajvFor(doc, true)
  const cache = new Map<string, ValidateFunction>()
  const compiled = (key: string, make: () => ValidateFunction) => {
    let v = cache.get(key)
    if (!v) cache.set(key, (v = make()))
    return v
  }
  // refs inside an inline schema point at the document's components: make them absolute
  const compileInline = (ajv: Ajv, schema: JsonSchema) =>
    ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`)) as JsonSchema)
  return {
    problem: compiled('problem', () => strictAjv.getSchema(`${DOC_ID}#/components/schemas/Problem`) as ValidateFunction),
    at: (pointer) =>
      compiled(`at ${pointer}`, () => {
        const v = strictAjv.getSchema(`${DOC_ID}${pointer}`)
        if (!v) throw new Error(`no schema at ${pointer}`)
        return v
      }),
    parameter: (schema) => compiled(`param ${JSON.stringify(schema)}`, () => compileInline(coercingAjv, schema)),
    strict: (schema) => compiled(`strict ${JSON.stringify(schema)}`, () => compileInline(strictAjv, schema))
  }
}
