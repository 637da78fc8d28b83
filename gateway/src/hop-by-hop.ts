/**
 * A context's answer without the headers of its own connection (RFC 9110 §7.6.1): `Connection` and
 * `Keep-Alive` describe the link between the gateway and the context, not the client's. The client's
 * connection is the gateway's to manage: kept alive, or closed after each answer while it drains.
 */
export function withoutConnectionHeaders<T extends Record<string, unknown>>(headers: T): T {
  if (headers.connection !== undefined) delete headers.connection
  if (headers['keep-alive'] !== undefined) delete headers['keep-alive']
  return headers
}
