import type { FastifyRequest } from 'fastify'
import { userIdFromHeader } from './user-identity.js'

/**
 * The user of the verified queue token, as the gateway's guard passes it to the contexts. The
 * gateway removes any client-sent value before routing, so services trust this header alone.
 */
export const QUEUE_USER_HEADER = 'x-queue-user-id'

export function queueUserOf(request: FastifyRequest): number | undefined {
  return userIdFromHeader(request.headers[QUEUE_USER_HEADER])
}
