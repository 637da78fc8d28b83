import { Ajv } from 'ajv'
import type { FastifySchemaCompiler } from 'fastify'

const ajvOptions = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const

// Bodies are JSON: a string where a number belongs is a client bug, never coerced.
const bodyAjv = new Ajv({ ...ajvOptions, coerceTypes: false })
// Path, query and headers are strings on the wire; they are coerced to the schema's types.
const paramsAjv = new Ajv({ ...ajvOptions, coerceTypes: 'array' })

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : paramsAjv).compile(schema as object)
