import { setTimeout } from 'node:timers/promises'
import {
  bodyHash,
  errorCode,
  type PointCall,
  pointRefusalFromReply,
  replayDelayMs,
  replaysFor,
  SERVICE_ASSERTION_HEADER,
  type ServiceAssertionSigner,
  UpstreamDatabaseBusyError,
  UpstreamUnavailableError,
  wasCutOff,
  wasUnprocessed,
  watchInstances,
} from '@stagepass/kit'
import type { FastifyBaseLogger } from 'fastify'
import { BalancedPool, type Dispatcher, Pool } from 'undici'

export interface PointUse {
  userId: number
  amount: number
  /** One use per reference: `reservation:<id>`. */
  reference: string
}

/**
 * What booking needs from the point context. Both operations are idempotent by reference: a
 * replay returns the first outcome and moves no points. In split mode it is HTTP to point's
 * internal routes; in the monolith the gateway passes point's operations themselves. Either way a
 * refusal is the kit's contract error (`InsufficientPointsError`, `ReferenceVoidedError`, …).
 */
export interface PointClient {
  /** Takes the points, or throws a refusal (InsufficientPointsError, …) having taken nothing. */
  use(input: PointUse): Promise<{ currentPoints: number }>
  /** Gives back the points of the use with this reference; false when no such use was made. */
  refund(input: { reference: string }): Promise<boolean>
  close?(): Promise<void>
}

export const paymentReference = (reservationId: number) => `reservation:${reservationId}`

/** A refund's answer: true when points went back, false when point voided a reference never used. */
async function refunded(refund: Promise<unknown>): Promise<boolean> {
  try {
    await refund
    return true
  } catch (err) {
    if (errorCode(err) === 'POINT_USE_NOT_FOUND') return false
    throw err
  }
}

/**
 * Point's operations in this process, for the monolith (`createPointOperations` of the point
 * context; structurally typed, no package dependency). They validate, count and refuse exactly as
 * point's internal routes do, with the kit's contract errors.
 */
export function pointClientFromOperations(operations: {
  use(input: PointUse): Promise<{ currentPoints: number }>
  refund(input: { reference: string }): Promise<unknown>
}): PointClient {
  return {
    use: async (input) => ({ currentPoints: (await operations.use(input)).currentPoints }),
    refund: (input) => refunded(operations.refund(input)),
  }
}

interface ErrorReply {
  code?: string
  message?: string
}

/**
 * The error of a point answer other than 200: a refusal is the contract's error, as the monolith
 * throws it; point's 503 DATABASE_BUSY stays DATABASE_BUSY; any other 5xx is point unavailable.
 */
function answerError(call: PointCall, path: string, res: { status: number; body: unknown }): Error {
  const reply = (res.body ?? {}) as ErrorReply
  const refusal = pointRefusalFromReply(call, res.status, reply)
  if (refusal) return refusal
  if (res.status === 503 && reply.code === 'DATABASE_BUSY') return new UpstreamDatabaseBusyError('point')
  if (res.status >= 500) return new UpstreamUnavailableError('point')
  return new Error(`${path} ${call.reference} answered ${res.status} ${reply.code}: ${reply.message}`)
}

/**
 * Point's internal routes over HTTP (split mode): keep-alive pools, balanced over its instances.
 * Every call carries booking's assertion, bound to its path and body: point answers nothing else.
 */
export function createHttpPointClient(
  urls: string[],
  {
    signer,
    opsUrls = [],
    timeoutMs = 5000,
    connections = 32,
    log,
  }: {
    signer: ServiceAssertionSigner
    /** Each instance's operations URL, in the order of `urls`: with several, those not ready get no calls. */
    opsUrls?: string[]
    timeoutMs?: number
    connections?: number
    log?: FastifyBaseLogger
  },
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
  const replays = replaysFor(urls.length)
  // A stopping point instance reports not ready and serves on a while: calls go elsewhere before it closes.
  const instances = watchInstances(dispatcher, urls, opsUrls, { log })

  async function post(path: string, body: unknown): Promise<{ status: number; body: unknown }> {
    const json = JSON.stringify(body)
    const assertion = signer.sign({
      audience: 'point',
      method: 'POST',
      url: path,
      headers: {},
      bodyHash: bodyHash(json),
    })
    // A call an instance did nothing with (refused, or refused unprocessed while it drains) goes to
    // another one, and so does one whose connection was cut: point makes a use or a refund once per
    // reference and answers a replay with the first outcome. A timeout is the caller's to settle.
    for (let replay = 0; ; replay++) {
      try {
        const res = await dispatcher.request({
          method: 'POST',
          path,
          headers: { 'content-type': 'application/json', [SERVICE_ASSERTION_HEADER]: assertion },
          body: json,
        })
        const text = await res.body.text()
        if (replay < replays && wasUnprocessed(res)) {
          await setTimeout(replayDelayMs(replay))
          continue
        }
        return { status: res.statusCode, body: text ? JSON.parse(text) : undefined }
      } catch (err) {
        if (replay < replays && (wasUnprocessed({ err }) || wasCutOff(err))) {
          await setTimeout(replayDelayMs(replay))
          continue
        }
        throw Object.assign(new UpstreamUnavailableError('point'), { cause: err })
      }
    }
  }

  return {
    async use(input) {
      const path = '/internal/points/use'
      const res = await post(path, input)
      if (res.status !== 200) throw answerError(input, path, res)
      return { currentPoints: (res.body as { data: { currentPoints: number } }).data.currentPoints }
    },
    refund(input) {
      const path = '/internal/points/refund'
      return refunded(
        post(path, input).then((res) => {
          if (res.status !== 200) throw answerError(input, path, res)
        }),
      )
    },
    async close() {
      await Promise.all([dispatcher.close(), instances.close()])
    },
  }
}
