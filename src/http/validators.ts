import { AjvCompiler, type ValidatorFactory } from '@fastify/ajv-compiler'

// The app uses JSON Schema (not JTD) throughout.
type AjvOptions = Exclude<Parameters<ValidatorFactory>[1], { mode: 'JTD' } | undefined>

/**
 * The validator compiler, one Ajv per kind of input (Fastify's `compilersFactory.buildValidator`).
 * Query strings, path parameters and headers arrive as text, so they are coerced to their schema's
 * types (`limit=5` is an integer, one `label=` is a list of one). A JSON body carries its own types:
 * coercing it read `""` as null ("every project", "never expires", "no credential") and 12345 as a
 * name, so a body is validated exactly as sent.
 */
export function validatorsByPart(): ValidatorFactory {
  const pool = AjvCompiler()
  return (externalSchemas, options = {}) => {
    const ajv = options as AjvOptions
    const withCoercion = (coerceTypes: 'array' | false): AjvOptions => ({ ...ajv, customOptions: { ...ajv.customOptions, coerceTypes } })
    const coercing = pool(externalSchemas, withCoercion('array'))
    const exact = pool(externalSchemas, withCoercion(false))
    return (route) => (route.httpPart === 'body' ? exact : coercing)(route)
  }
}
