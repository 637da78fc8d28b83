/**
 * The code an error carries, to tell failures apart: its `cause`'s where a client wrapped the error
 * that happened (reply-from wraps undici's, booking's point client the connection's), else its own;
 * '' when it has none.
 */
export function errorCode(error: unknown): string {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: { code?: unknown } }
  const found = cause?.code ?? code
  return typeof found === 'string' ? found : ''
}
