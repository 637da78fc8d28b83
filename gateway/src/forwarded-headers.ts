import { REQUEST_ID_HEADER, SERVICE_ASSERTION_HEADER, type ServiceAssertionSigner } from '@stagepass/kit'
import type { FastifyRequest } from 'fastify'

/**
 * Headers sent upstream (split mode): the request id travels on, and the gateway's assertion binds
 * the context, method, path and the identity headers the guard and the user-token check have set
 * (a client's own values were dropped at the edge), so the context knows the request came this way.
 * `headers` is the proxy's own copy of the request's headers, made for this request: it is completed in
 * place rather than copied again (one object fewer per proxied request).
 */
export function forwardedHeaders<Headers extends Record<string, unknown>>(
  request: FastifyRequest,
  headers: Headers,
  audience: string,
  signer: ServiceAssertionSigner,
) {
  const assertion = signer.sign({ audience, method: request.method, url: request.url, headers })
  const completed: Record<string, unknown> = headers
  completed[REQUEST_ID_HEADER] = request.id
  completed[SERVICE_ASSERTION_HEADER] = assertion
  return headers
}
