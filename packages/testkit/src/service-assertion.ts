import { SERVICE_ASSERTION_HEADER, type ServiceAssertionSigner, signerFromEnv } from '@stagepass/kit'

/**
 * A test signs its requests before it sends them, hundreds at once, where the gateway signs each as
 * it forwards it: on a busy machine a request can wait longer than the assertion's 10 s in the
 * context's queue. A test's assertions live five minutes; that one expires is the kit's own test.
 */
const TEST_ASSERTION_TTL_SECONDS = 300

/** Signing as the system's callers do, with the keys the processes a test starts read. */
export const gatewaySigner = (): ServiceAssertionSigner =>
  signerFromEnv('gateway', { ttlSeconds: TEST_ASSERTION_TTL_SECONDS })
export const bookingSigner = (): ServiceAssertionSigner =>
  signerFromEnv('booking', { ttlSeconds: TEST_ASSERTION_TTL_SECONDS })

/**
 * The headers the split gateway sends a context for this request, for a test that calls the
 * context directly: the identity headers given (as the guard or the user-token check would set
 * them) and the gateway's assertion over them.
 */
export function gatewayHeaders(
  audience: 'point' | 'concert' | 'queue' | 'booking',
  method: string,
  url: string,
  identity: Record<string, string> = {},
): Record<string, string> {
  const assertion = gatewaySigner().sign({ audience, method, url, headers: identity })
  return { ...identity, [SERVICE_ASSERTION_HEADER]: assertion }
}
