import { Ajv, type ValidateFunction } from 'ajv'
import type { FastifySchemaCompiler } from 'fastify'

const ajvOptions = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const

// Bodies are JSON: a string where a number belongs is a client bug, never coerced.
const bodyAjv = new Ajv({ ...ajvOptions, coerceTypes: false })
// Path, query and headers are strings on the wire; they are coerced to the schema's types.
const paramsAjv = new Ajv({ ...ajvOptions, coerceTypes: 'array' })

const DECIMAL_INTEGER = /^-?[0-9]+$/

interface ObjectSchema {
  properties?: Record<string, { type?: unknown }>
}

/**
 * Ajv coerces any numeric string (`1e2`, `0x10`, ` 7`) to a number; an id in a path or query is only
 * ever written in plain decimal digits, so anything else is refused before coercion.
 */
function decimalIntegersOnly(schema: ObjectSchema, validate: ValidateFunction): ValidateFunction {
  const integerKeys = Object.entries(schema.properties ?? {})
    .filter(([, property]) => property.type === 'integer')
    .map(([key]) => key)
  if (integerKeys.length === 0) return validate
  const strict = ((data: Record<string, unknown> | undefined) => {
    for (const key of integerKeys) {
      const value = data?.[key]
      if (typeof value === 'string' && !DECIMAL_INTEGER.test(value)) {
        strict.errors = [
          {
            instancePath: `/${key}`,
            schemaPath: `#/properties/${key}/type`,
            keyword: 'type',
            params: { type: 'integer' },
            message: 'must be integer',
          },
        ]
        return false
      }
    }
    const valid = validate(data)
    strict.errors = validate.errors
    return valid
  }) as ValidateFunction
  return strict
}

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  httpPart === 'body'
    ? bodyAjv.compile(schema as object)
    : decimalIntegersOnly(schema as ObjectSchema, paramsAjv.compile(schema as object))

/**
 * A body schema checked outside a route, for a context called in-process (the monolith): the same
 * Ajv as a route's body, and the message its 400 would carry (`body/amount must be <= 10000000`),
 * or undefined when the body is valid.
 */
export function bodyCheck(schema: object): (body: unknown) => string | undefined {
  const validate = bodyAjv.compile(schema)
  return (body) =>
    validate(body) ? undefined : (validate.errors ?? []).map((e) => `body${e.instancePath} ${e.message}`).join(', ')
}
