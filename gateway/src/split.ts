import proxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy'
import { createServiceAssertionSigner, errorBody, errorCode, parseAssertionKeys } from '@stagepass/kit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BalancedPool, type Dispatcher, Pool, request } from 'undici'
import { type GatewayConfig, upstreamOperationsUrls, upstreamUrls } from './config.js'
import { forwardedHeaders } from './forwarded-headers.js'
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

/** Failures before any byte of the request left: another instance can take it, whatever its method. */
const NEVER_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT'])

/**
 * With several instances of a context, a request whose connection was refused (an instance that died
 * or is restarting) goes to another one at once, up to once per other instance; BalancedPool has
 * already lowered the refusing instance's weight. Anything that may have reached an instance — a reset,
 * a timeout, a 503 — is never replayed: a payment must not be sent twice.
 */
function retryNeverSent(instances: number) {
  return ({ err, attempt }: { err?: unknown; attempt: number }) =>
    instances > 1 && attempt < instances - 1 && NEVER_SENT.has(errorCode(err)) ? 1 : null
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

async function isReady(dispatcher: Dispatcher, url: string): Promise<boolean> {
  try {
    const res = await request(`${url}/health/ready`, { dispatcher, headersTimeout: 800, bodyTimeout: 800 })
    await res.body.dump()
    return res.statusCode === 200
  } catch {
    return false
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
  for (const [service, urls] of Object.entries(upstreams) as Array<[ServiceName, string[]]>) {
    dispatchers.set(service, createDispatcher(urls, config))
    // Readiness is asked on each instance's operations port: the public one does not serve it.
    const readinessUrls = operations[service]
    const probes = readinessUrls.map((url) => new Pool(url, { connections: 2 }))
    // Ready when at least one instance of the context is ready.
    fastify.readiness.add(service, async () => {
      const results = await Promise.all(readinessUrls.map((url, i) => isReady(probes[i] as Dispatcher, url)))
      if (!results.some(Boolean)) throw new Error(`${service} has no ready instance`)
    })
    fastify.addHook('onClose', async () => {
      await Promise.all(probes.map((p) => p.close()))
    })
  }
  fastify.addHook('onClose', async () => {
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
      replyOptions: {
        rewriteRequestHeaders: (request, headers) =>
          forwardedHeaders(request as FastifyRequest, headers, route.service, signer),
        onError: (reply, failure) => upstreamError(route.service)(reply as FastifyReply, failure),
        // Never replay a request on a 503: a 503 from a context is an answer, not a hiccup.
        retryDelay: retryNeverSent(urls.length),
      },
    }
    await fastify.register(proxy, options)
  }
}
