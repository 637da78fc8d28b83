import type { FastifyRequest } from 'fastify'

/**
 * The user of the verified queue token, as the gateway's guard passes it to the contexts. The
 * gateway removes any client-sent value before routing, so services trust this header alone.
 */
export const QUEUE_USER_HEADER = 'x-queue-user-id'

export function queueUserOf(request: FastifyRequest): number | undefined {
  const raw = request.headers[QUEUE_USER_HEADER]
  if (typeof raw !== 'string' || !/^[1-9][0-9]{0,15}$/.test(raw)) return undefined
  const id = Number(raw)
  return Number.isSafeInteger(id) ? id : undefined
}
