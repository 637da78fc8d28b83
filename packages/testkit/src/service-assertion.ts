import { SERVICE_ASSERTION_HEADER, type ServiceAssertionSigner, signerFromEnv } from '@stagepass/kit'

/** Signing as the system's callers do, with the keys the processes a test starts read. */
export const gatewaySigner = (): ServiceAssertionSigner => signerFromEnv('gateway')
export const bookingSigner = (): ServiceAssertionSigner => signerFromEnv('booking')

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
