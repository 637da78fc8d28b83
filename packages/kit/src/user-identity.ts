import createError from '@fastify/error'
import type { FastifyRequest } from 'fastify'

/**
 * The user of a verified user token (USER_AUTH=jwt), as the gateway passes it to the contexts.
 * The gateway removes any client-sent value before routing, so services trust this header alone;
 * with user tokens off it is never present and a request may name any user.
 */
export const USER_HEADER = 'x-user-id'

export const UserMismatchError = createError('USER_MISMATCH', 'userId %s is not the token user', 403)

const USER_ID = /^[1-9][0-9]{0,15}$/

/** The positive safe integer a trusted identity header carries, if it carries one. */
export function userIdFromHeader(raw: string | string[] | undefined): number | undefined {
  if (typeof raw !== 'string' || !USER_ID.test(raw)) return undefined
  const id = Number(raw)
  return Number.isSafeInteger(id) ? id : undefined
}

/** The signed-in user the gateway verified, when user tokens are on. */
export function signedInUserOf(request: FastifyRequest): number | undefined {
  return userIdFromHeader(request.headers[USER_HEADER])
}

/** Refuses (403 USER_MISMATCH) a request that names a user other than the signed-in one. */
export function assertSignedInUser(request: FastifyRequest, userId: number): void {
  const signedIn = signedInUserOf(request)
  if (signedIn !== undefined && signedIn !== userId) throw new UserMismatchError(userId)
}
