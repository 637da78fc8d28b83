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

/** The error codes a route can answer, by HTTP status: `{ 404: ['SEAT_NOT_FOUND'], 409: [...] }`. */
export type Refusals = Readonly<Record<number, readonly string[]>>

/** The documented error shape, its `code` one of those a route answers under one status. */
export const Refusal = (codes: readonly string[]) =>
  Type.Object({
    statusCode: Type.Integer(),
    code: Type.String({ enum: [...codes] }),
    error: Type.String(),
    message: Type.String(),
  })

/** Every route of every process: an unexpected failure, and a request that meets a draining server. */
const EVERY_ROUTE: Refusals = { 500: ['INTERNAL_ERROR'], 503: ['SHUTTING_DOWN'] }

/** A path, query or header that its schema refuses. */
export const INVALID_INPUT: Refusals = { 400: ['VALIDATION_ERROR'] }
/** A body that its schema refuses, is not JSON, or is over the body limit. */
export const INVALID_BODY: Refusals = { 400: ['VALIDATION_ERROR'], 413: ['VALIDATION_ERROR'] }
/** A `userId` in the path or body that is not the signed-in user's (user tokens on). */
export const NOT_SIGNED_IN_USER: Refusals = { 403: ['USER_MISMATCH'] }
/** A context whose MySQL is saturated or cannot be reached. */
export const DATABASE_REFUSALS: Refusals = { 503: ['DATABASE_BUSY', 'DATABASE_UNAVAILABLE'] }

/** The union of refusal lists, each status's codes once. */
export function mergeRefusals(...lists: Refusals[]): Refusals {
  const merged: Record<number, string[]> = {}
  for (const list of lists) {
    for (const [status, codes] of Object.entries(list)) {
      const known = merged[Number(status)] ?? []
      for (const code of codes) if (!known.includes(code)) known.push(code)
      merged[Number(status)] = known
    }
  }
  return merged
}

/**
 * The response schemas of a public route: its 200 body and, per status, the error codes it can
 * answer (with those every route can). The gateway's OpenAPI document is generated from these, so
 * a status a route answers that is not listed here is a defect the contract test reports.
 */
export const responses = <T extends TSchema>(data: T, ...refusals: Refusals[]) => {
  const errors = Object.entries(mergeRefusals(EVERY_ROUTE, ...refusals)).map(([status, codes]) => [
    status,
    Refusal(codes),
  ])
  // Typed by range: a handler may answer any listed status in the error shape (the router's types
  // cannot see which statuses a list holds).
  type ErrorRanges = Record<'4xx' | '5xx', ReturnType<typeof Refusal>>
  return { 200: Data(data), ...(Object.fromEntries(errors) as ErrorRanges) }
}

/** Refusals from a table of codes and their statuses: `{ TOKEN_MISSING: 401 }` → `{ 401: ['TOKEN_MISSING'] }`. */
export function refusalsByStatus(statuses: Readonly<Record<string, number>>): Refusals {
  return mergeRefusals(...Object.entries(statuses).map(([code, status]) => ({ [status]: [code] })))
}

/** The refusals listed in a route's response schemas (the inverse of `responses`). */
export function refusalsOf(response: Readonly<Record<string, unknown>>): Refusals {
  const refusals: Record<number, string[]> = {}
  for (const [status, schema] of Object.entries(response)) {
    const codes = (schema as { properties?: { code?: { enum?: string[] } } }).properties?.code?.enum
    if (codes) refusals[Number(status)] = [...codes]
  }
  return refusals
}
