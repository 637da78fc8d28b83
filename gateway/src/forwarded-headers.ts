import { REQUEST_ID_HEADER, SERVICE_ASSERTION_HEADER, type ServiceAssertionSigner } from '@stagepass/kit'
import type { FastifyRequest } from 'fastify'

/**
 * Headers sent upstream (split mode): the request id travels on, and the gateway's assertion binds
 * the context, method, path and the identity headers the guard and the user-token check have set
 * (a client's own values were dropped at the edge), so the context knows the request came this way.
 */
export function forwardedHeaders(
  request: FastifyRequest,
  headers: Record<string, unknown>,
  audience: string,
  signer: ServiceAssertionSigner,
) {
  const assertion = signer.sign({ audience, method: request.method, url: request.url, headers })
  return { ...headers, [REQUEST_ID_HEADER]: request.id, [SERVICE_ASSERTION_HEADER]: assertion }
}
