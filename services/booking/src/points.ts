import {
  bodyHash,
  SERVICE_ASSERTION_HEADER,
  type ServiceAssertionSigner,
  UpstreamDatabaseBusyError,
} from '@stagepass/kit'
import { BalancedPool, type Dispatcher, Pool } from 'undici'
import { InsufficientPointsError, PointServiceError } from './errors.js'

export interface PointUse {
  userId: number
  amount: number
  /** One use per reference: `reservation:<id>`. */
  reference: string
}

/**
 * What booking needs from the point context. Both operations are idempotent by reference: a
 * replay returns the first outcome and moves no points. In split mode it is HTTP to point's
 * internal routes; in the monolith the gateway passes the point ledger itself.
 */
export interface PointClient {
  /** Takes the points, or throws InsufficientPointsError having taken nothing. */
  use(input: PointUse): Promise<{ currentPoints: number }>
  /** Gives back the points of the use with this reference; false when no such use was made. */
  refund(input: { reference: string }): Promise<boolean>
  close?(): Promise<void>
}

export const paymentReference = (reservationId: number) => `reservation:${reservationId}`

const codeOf = (err: unknown) => (err as { code?: unknown }).code

/** The point ledger as a PointClient, for the monolith (structurally typed: no package dependency). */
export function pointClientFromLedger(ledger: {
  use(input: PointUse): Promise<{ currentPoints: number }>
  refund(input: { reference: string }): Promise<unknown>
}): PointClient {
  return {
    async use(input) {
      try {
        const entry = await ledger.use(input)
        return { currentPoints: entry.currentPoints }
      } catch (err) {
        if (codeOf(err) === 'INSUFFICIENT_POINTS') throw new InsufficientPointsError(input.userId, input.amount)
        throw err
      }
    },
    async refund(input) {
      try {
        await ledger.refund(input)
        return true
      } catch (err) {
        if (codeOf(err) === 'POINT_USE_NOT_FOUND') return false
        throw err
      }
    },
  }
}

interface ErrorReply {
  code?: string
  message?: string
}

/** Point's 503 DATABASE_BUSY stays DATABASE_BUSY, as in the monolith; any other 5xx is point unavailable. */
function throwIfUnavailable(status: number, reply: ErrorReply): void {
  if (status === 503 && reply.code === 'DATABASE_BUSY') throw new UpstreamDatabaseBusyError('point')
  if (status >= 500) throw new PointServiceError()
}

/**
 * Point's internal routes over HTTP (split mode): keep-alive pools, balanced over its instances.
 * Every call carries booking's assertion, bound to its path and body: point answers nothing else.
 */
export function createHttpPointClient(
  urls: string[],
  {
    signer,
    timeoutMs = 5000,
    connections = 32,
  }: { signer: ServiceAssertionSigner; timeoutMs?: number; connections?: number },
): PointClient {
  const options = {
    connections,
    keepAliveTimeout: 30_000,
    connect: { timeout: 1000 },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  }
  const dispatcher: Dispatcher =
    urls.length > 1 ? new BalancedPool(urls, options) : new Pool(urls[0] as string, options)

  async function post(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const json = JSON.stringify(body)
    const assertion = signer.sign({
      audience: 'point',
      method: 'POST',
      url: path,
      headers: {},
      bodyHash: bodyHash(json),
    })
    try {
      const res = await dispatcher.request({
        method: 'POST',
        path,
        headers: { 'content-type': 'application/json', [SERVICE_ASSERTION_HEADER]: assertion },
        body: json,
      })
      const text = await res.body.text()
      return { status: res.statusCode, body: text ? JSON.parse(text) : undefined }
    } catch (err) {
      throw Object.assign(new PointServiceError(), { cause: err })
    }
  }

  return {
    async use(input) {
      const res = await post('/internal/points/use', input)
      if (res.status === 200)
        return { currentPoints: (res.body as { data: { currentPoints: number } }).data.currentPoints }
      const reply = (res.body ?? {}) as ErrorReply
      if (res.status === 409 && reply.code === 'INSUFFICIENT_POINTS') {
        throw new InsufficientPointsError(input.userId, input.amount)
      }
      throwIfUnavailable(res.status, reply)
      throw new Error(`point use ${input.reference} refused: ${res.status} ${reply.code} ${reply.message}`)
    },
    async refund(input) {
      const res = await post('/internal/points/refund', input)
      if (res.status === 200) return true
      const reply = (res.body ?? {}) as ErrorReply
      if (res.status === 404 && reply.code === 'POINT_USE_NOT_FOUND') return false
      throwIfUnavailable(res.status, reply)
      throw new Error(`point refund ${input.reference} refused: ${res.status} ${reply.code} ${reply.message}`)
    },
    close: () => dispatcher.close(),
  }
}
