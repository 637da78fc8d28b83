import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import Fastify, { LogController } from 'fastify'
import type { HttpConfig } from './config.js'
import { handleError, handleNotFound } from './error-handler.js'
import { loggerOptions } from './logger.js'
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js'
import { validatorCompiler } from './validation.js'

export interface ServerOptions {
  /** Name in logs and metrics: `point`, `gateway`, `monolith`… */
  service: string
  config: Pick<HttpConfig, 'LOG_LEVEL' | 'LOG_PRETTY'>
  /**
   * Peers (IPs or CIDRs) whose `X-Forwarded-For` names the client: `request.ip` is then the address
   * the nearest untrusted hop gave. None by default, so a client cannot choose its own address.
   */
  trustedProxies?: readonly string[]
}

/**
 * A Fastify instance with the kit's logging, request ids, validation without body coercion and
 * error shape, and no routes: the base of every listener, and on its own the server of a process's
 * second port (the queue's admin routes in the monolith).
 */
export function createSideServer({ service, config, trustedProxies = [] }: ServerOptions) {
  const app = Fastify({
    logger: loggerOptions({ service, level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
    genReqId: requestIdFrom,
    requestIdHeader: false,
    // Per-request access lines cost throughput; the duration histogram records every request instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    connectionTimeout: 30_000,
    keepAliveTimeout: 65_000,
    bodyLimit: 64 * 1024,
    trustProxy: trustedProxies.length > 0 ? [...trustedProxies] : false,
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  // Callback-style hooks on the hot path: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    done()
  })
  return app
}
