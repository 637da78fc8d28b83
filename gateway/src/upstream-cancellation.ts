import { EventEmitter } from 'node:events'
import type { FastifyInstance } from 'fastify'
import type { Dispatcher } from 'undici'

/** Carries a request's key from the gateway to its dispatcher; removed before the request leaves. */
const CANCEL_KEY_HEADER = 'x-stagepass-cancel-key'

/**
 * A request's cancellation as undici takes it: an emitter of `abort` that says whether it was
 * aborted. An AbortController would do the same at a far higher price per request on Node 20 (its
 * EventTarget: 7–10 µs to create one and add and remove a listener, against 0.1–0.2 µs for this).
 */
class ClientGone extends EventEmitter {
  aborted = false

  abort(): void {
    this.aborted = true
    this.emit('abort')
  }
}

/**
 * Upstream work stops when the client stops waiting. `@fastify/reply-from` gives undici no abort
 * signal, so a client that hangs up used to leave its request running upstream until the context
 * answered. Every proxied request gets a signal (`ClientGone`), aborted when the client's connection
 * closes before the answer was written; the dispatcher returned here hands that signal to undici,
 * which closes the upstream connection (HTTP/1.1 has no other way to cancel one request), so the
 * context sees its request closed. A request that runs out of `PROXY_TIMEOUT_MS` is closed upstream
 * by undici itself.
 */
export function cancelUpstreamWithClient(fastify: FastifyInstance) {
  const signals = new Map<string, ClientGone>()
  let sequence = 0

  fastify.addHook('onRequest', (request, reply, done) => {
    sequence = (sequence + 1) % Number.MAX_SAFE_INTEGER
    const key = String(sequence)
    const gone = new ClientGone()
    signals.set(key, gone)
    // Whatever a client sent under this name is replaced: it can only name its own request.
    request.headers[CANCEL_KEY_HEADER] = key
    reply.raw.once('close', () => {
      signals.delete(key)
      if (!reply.raw.writableFinished) gone.abort()
    })
    done()
  })

  /** `dispatcher`, with each request's signal attached. reply-from takes any object with `request`. */
  return (dispatcher: Dispatcher) => ({
    request(options: Dispatcher.RequestOptions, callback: (err: Error | null, data: Dispatcher.ResponseData) => void) {
      const headers = options.headers as Record<string, string | undefined>
      const key = headers[CANCEL_KEY_HEADER]
      delete headers[CANCEL_KEY_HEADER]
      // The dispatcher is bound to its upstream(s): a BalancedPool must not be given an origin.
      // `options` is reply-from's own object for this request: changed in place, not copied.
      const upstream = options as Partial<Dispatcher.RequestOptions>
      delete upstream.origin
      const signal = key === undefined ? undefined : signals.get(key)
      if (signal) upstream.signal = signal
      return dispatcher.request(upstream as Dispatcher.RequestOptions, callback)
    },
    close: () => dispatcher.close(),
  })
}
