import proxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import {
  createServiceAssertionSigner,
  errorBody,
  errorCode,
  parseAssertionKeys,
  replayDelayMs,
  replaysFor,
  wasCutOff,
  wasUnprocessed,
  watchInstances,
} from '@stagepass/kit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BalancedPool, type Dispatcher, Pool } from 'undici'
import { type GatewayConfig, upstreamOperationsUrls, upstreamUrls } from './config.js'
import { forwardedHeaders } from './forwarded-headers.js'
import { withoutConnectionHeaders } from './hop-by-hop.js'
import { ROUTE_TABLE, type ServiceName } from './route-table.js'
import { cancelUpstreamWithClient } from './upstream-cancellation.js'

/** One keep-alive pool per upstream instance; several instances are balanced (undici BalancedPool). */
function createDispatcher(urls: string[], config: GatewayConfig): Dispatcher {
  const options = {
    connections: config.PROXY_CONNECTIONS,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    connect: { timeout: 1000 },
    headersTimeout: config.PROXY_TIMEOUT_MS,
    bodyTimeout: config.PROXY_TIMEOUT_MS,
  }
  return urls.length > 1 ? new BalancedPool(urls, options) : new Pool(urls[0] as string, options)
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CLOSED'])
const TIMED_OUT = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'FST_REPLY_FROM_GATEWAY_TIMEOUT'])

/** Methods whose second run changes nothing the first did not (RFC 9110 §9.2.2, less PUT and DELETE). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

type RetryDetails = Parameters<NonNullable<NonNullable<FastifyHttpProxyOptions['replyOptions']>['retryDelay']>>[0]
/** What `res` is at run time: undici's answer (the proxy's types call it a reply). */
interface UpstreamAnswer {
  statusCode: number
  headers: Record<string, unknown>
  stream?: { resume(): unknown }
}

/**
 * With several instances of a context, a request goes to another instance at once when the one it
 * reached did nothing with it (kit `wasUnprocessed`: a refused connection, or a draining instance's
 * marked 503), whatever its method. A read whose connection was cut (an instance killed mid-answer) is
 * sent again too: reading twice is harmless. A write that may have reached an instance — a cut, a
 * timeout, any other answer — is never replayed: a payment must not be sent twice.
 */
export function replayElsewhere(instances: number) {
  const replays = replaysFor(instances)
  return ({ err, req, res: answer, attempt }: RetryDetails): number | null => {
    if (attempt >= replays) return null
    const res = answer as unknown as UpstreamAnswer | undefined
    if (res) {
      if (!wasUnprocessed(res)) return null
      // The draining instance's answer is dropped, not passed on: read it off its connection.
      res.stream?.resume()
      return replayDelayMs(attempt)
    }
    const again = wasUnprocessed({ err }) || (wasCutOff(err) && SAFE_METHODS.has(req.method))
    return again ? replayDelayMs(attempt) : null
  }
}

/** What a route can answer when its context fails behind the gateway (the public document lists them). */
export const PROXY_REFUSALS = {
  502: ['BAD_GATEWAY'],
  503: ['UPSTREAM_UNAVAILABLE'],
  504: ['UPSTREAM_TIMEOUT'],
} as const

/** An upstream that is down gives a fast 503 (or 502/504) in the documented shape, never a hang. */
function upstreamError(service: ServiceName) {
  return (reply: FastifyReply, { error }: { error: Error }) => {
    // The client hung up and its upstream request was cancelled: nobody is left to answer.
    if (reply.raw.destroyed) return reply
    const code = errorCode(error)
    reply.request.log.warn({ err: error, service }, 'upstream request failed')
    if (TIMED_OUT.has(code)) {
      return reply.code(504).send(errorBody(504, 'UPSTREAM_TIMEOUT', `${service} service did not answer in time`))
    }
    if (UNREACHABLE.has(code) || code === 'FST_REPLY_FROM_SERVICE_UNAVAILABLE') {
      return reply.code(503).send(errorBody(503, 'UPSTREAM_UNAVAILABLE', `${service} service is unavailable`))
    }
    return reply.code(502).send(errorBody(502, 'BAD_GATEWAY', `${service} service failed`))
  }
}

/** Split mode: each prefix in the route table is proxied to its context's instances. */
export async function registerSplitMode(fastify: FastifyInstance, config: GatewayConfig) {
  const upstreams = upstreamUrls(config)
  const operations = upstreamOperationsUrls(config)
  const signer = createServiceAssertionSigner({
    caller: 'gateway',
    keys: parseAssertionKeys(config.GATEWAY_ASSERTION_KEYS),
  })
  const dispatchers = new Map<ServiceName, Dispatcher>()
  const watched: Array<ReturnType<typeof watchInstances>> = []
  for (const [service, urls] of Object.entries(upstreams) as Array<[ServiceName, string[]]>) {
    const dispatcher = createDispatcher(urls, config)
    dispatchers.set(service, dispatcher)
    // Readiness is asked on each instance's operations port: the public one does not serve it; with
    // several instances, those not ready are out of rotation.
    const instances = watchInstances(dispatcher, urls, operations[service], { log: fastify.log })
    watched.push(instances)
    // Ready when at least one instance of the context is ready.
    fastify.readiness.add(service, async () => {
      if (!(await instances.anyReady())) throw new Error(`${service} has no ready instance`)
    })
  }
  fastify.addHook('onClose', async () => {
    await Promise.all(watched.map((instances) => instances.close()))
    await Promise.all([...dispatchers.values()].map((d) => d.close()))
  })
  const cancellable = cancelUpstreamWithClient(fastify)

  for (const route of ROUTE_TABLE) {
    const urls = upstreams[route.service]
    const options: FastifyHttpProxyOptions = {
      upstream: urls[0] as string,
      prefix: route.prefix,
      rewritePrefix: route.prefix,
      undici: cancellable(dispatchers.get(route.service) as Dispatcher) as unknown as Pool,
      disableRequestLogging: true,
      // Bodies are read and parsed here, as a context reads them, not streamed through: a request sent
      // again to another instance has its body to send, and a malformed one is refused at the edge.
      proxyPayloads: false,
      replyOptions: {
        rewriteRequestHeaders: (request, headers) =>
          forwardedHeaders(request as FastifyRequest, headers, route.service, signer),
        rewriteHeaders: withoutConnectionHeaders,
        onError: (reply, failure) => upstreamError(route.service)(reply as FastifyReply, failure),
        // A 503 from a context is an answer, not a hiccup: only one that says nothing was done is replayed.
        retryDelay: replayElsewhere(urls.length),
      },
    }
    await fastify.register(proxy, options)
  }
}
