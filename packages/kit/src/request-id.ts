import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const REQUEST_ID_HEADER = 'x-request-id'
const SAFE_REQUEST_ID = /^[\w\-.:]{1,128}$/

/** Echoes a caller's request id when it is safe to log and forward; otherwise makes a new one. */
export function requestIdFrom(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER]
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID()
}
