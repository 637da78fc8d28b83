import { REQUEST_ID_HEADER } from '@stagepass/kit'
import type { FastifyRequest } from 'fastify'

/** Headers sent upstream: the request id travels on (the guard has already set the queue user). */
export function forwardedHeaders(request: FastifyRequest, headers: Record<string, unknown>) {
  return { ...headers, [REQUEST_ID_HEADER]: request.id }
}
