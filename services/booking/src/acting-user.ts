import { queueUserOf } from '@stagepass/kit'
import type { FastifyRequest } from 'fastify'
import { QueueUserMissingError } from './errors.js'

/**
 * The token's user, as the gateway's guard names it. The guard answers 401 itself; this is the
 * defence for a request that reached the service some other way.
 */
export function actingUser(request: FastifyRequest): number {
  const userId = queueUserOf(request)
  if (userId === undefined) throw new QueueUserMissingError()
  return userId
}
