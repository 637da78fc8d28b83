import { type TSchema, Type } from '@sinclair/typebox'

/** Identity is owned by an external auth system: any positive safe integer is a user. */
export const UserId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })
/** Database ids in paths and bodies. */
export const Id = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

export const ErrorResponse = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
})

/** Success is always HTTP 200 with `{ data }`. */
export const Data = <T extends TSchema>(data: T) => Type.Object({ data })

/** The response schemas of a route: its 200 body and the documented error shape for the rest. */
export const responses = <T extends TSchema>(data: T) => ({
  200: Data(data),
  '4xx': ErrorResponse,
  '5xx': ErrorResponse,
})
