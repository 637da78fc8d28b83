import { createServer as createHttpServer, type Server as HttpServer, type RequestListener } from 'node:http'
import { setImmediate, setTimeout } from 'node:timers/promises'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import closeWithGrace from 'close-with-grace'
import Fastify, { type FastifyInstance, LogController } from 'fastify'
import { ConfigError, type HttpConfig } from './config.js'
import { type SecretSetting, warnAboutDevelopmentSecrets } from './development-secrets.js'
import { errorBody, handleError, handleNotFound } from './error-handler.js'
import { healthPlugin, Readiness } from './health.js'
import { createLogger } from './logger.js'
import { metricsPlugin } from './metrics.js'
import { operationsRoutes } from './operations.js'
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js'
import { primeSourceMaps } from './source-maps.js'
import { UNPROCESSED_HEADER } from './unprocessed.js'
import { validatorCompiler } from './validation.js'

export interface ServerOptions {
  /** Name in logs and metrics: `point`, `gateway`, `monolith`… */
  service: string
  config: Pick<HttpConfig, 'LOG_LEVEL' | 'LOG_PRETTY'> & Record<string, unknown>
  /**
   * Peers (IPs or CIDRs) whose `X-Forwarded-For` names the client: `request.ip` is then the address
   * the nearest untrusted hop gave. None by default, so a client cannot choose its own address.
   */
  trustedProxies?: readonly string[]
  /**
   * The secrets the process reads (its config loader refused development ones where
   * NODE_ENV=production): any still a development value or a placeholder is warned about at start-up.
   */
  secrets?: readonly SecretSetting[]
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * From now on every new request is answered `503 SHUTTING_DOWN`, marked unprocessed, before any
     * work, while the port still accepts (`close()` does the same and stops accepting).
     */
    refuseNewRequests(): void
  }
}

/**
 * A Fastify instance with what every listener shares: logging, request ids, validation without body
 * coercion, the error shape; no routes. On its own, the server of a process's second port (the
 * operations port, the monolith's queue admin port).
 */
export function createSideServer({ service, config, trustedProxies = [] }: ServerOptions) {
  const app = Fastify({
    loggerInstance: createLogger({ service, level: config.LOG_LEVEL, pretty: config.LOG_PRETTY }),
    genReqId: requestIdFrom,
    requestIdHeader: false,
    // Per-request access lines cost throughput; the duration histogram records every request instead.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    // Fastify's own closing reply has no `code`: the hook below answers in the documented shape instead.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    connectionTimeout: 30_000,
    keepAliveTimeout: 65_000,
    bodyLimit: 64 * 1024,
    trustProxy: trustedProxies.length > 0 ? [...trustedProxies] : false,
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.setValidatorCompiler(validatorCompiler)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  let closing = false
  let closeIdle: NodeJS.Timeout | undefined
  app.decorate('refuseNewRequests', () => {
    closing = true
  })
  app.addHook('preClose', (done) => {
    closing = true
    // Connections busy when closing began become idle once their response is sent; keep-alive would
    // hold them open (65 s) and the close with them, so they are closed as they go idle. In-flight
    // requests are never cut.
    closeIdle = setInterval(() => app.server.closeIdleConnections(), 50)
    done()
  })
  app.addHook('onClose', (_instance, done) => {
    clearInterval(closeIdle)
    done()
  })
  // Callback-style hooks on the hot path: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id)
    // A request that reaches a draining server on a connection it still had open (keep-alive, pipelined)
    // is refused before any work: the client retries elsewhere (Fastify has set `Connection: close`).
    // The header promises that nothing was done, so the split gateway may send it to another instance.
    if (closing) {
      return reply
        .code(503)
        .header(UNPROCESSED_HEADER, 'shutting-down')
        .send(errorBody(503, 'SHUTTING_DOWN', 'server is shutting down; retry'))
    }
    done()
  })
  return app
}

/**
 * A process's public server: what every process shares (above), the request-duration histogram,
 * `/health/live`, and `readiness` for contexts to add their checks to. Its `operations` server serves
 * `/metrics` and `/health/ready` (operations.ts) on a port of its own and closes with it; `listen`
 * opens both. Services register their plugin on it.
 */
export function createServer(options: ServerOptions) {
  const app = createSideServer(options)
  const readiness = new Readiness()
  const operations = createSideServer({ service: `${options.service}-ops`, config: options.config })
  operationsRoutes(operations, readiness)
  app.decorate('operations', operations)
  // While the public port drains, the operations port (closed last) answers readiness with 503.
  app.addHook('preClose', (done) => {
    readiness.stop()
    done()
  })
  app.addHook('onClose', async () => {
    await operations.close()
  })
  app.register(metricsPlugin)
  app.register(healthPlugin, { readiness })
  warnAboutDevelopmentSecrets(app.log, options.config, options.secrets ?? [])
  return app
}

export type Server = ReturnType<typeof createServer>

/**
 * `localhost` means both loopbacks, whatever /etc/hosts says: clients resolve it to 127.0.0.1 or
 * ::1 depending on the machine. The IPv6 side is a second server on the same request handler.
 */
async function listenOnIpv6Loopback(app: FastifyInstance, port: number): Promise<HttpServer | undefined> {
  const server = createHttpServer(app.server.listeners('request')[0] as RequestListener)
  server.keepAliveTimeout = app.server.keepAliveTimeout
  return new Promise((resolve) => {
    server.once('error', (err) => {
      app.log.warn({ err }, 'IPv6 loopback unavailable; listening on IPv4 only')
      resolve(undefined)
    })
    server.listen({ host: '::1', port, ipv6Only: true, backlog: LISTEN_BACKLOG }, () => resolve(server))
  })
}

/**
 * Connections waiting to be accepted. When a sale opens, thousands of clients connect in the same
 * instant; Node's default (511) drops the excess SYNs and those clients retry a second later. The
 * kernel caps it at `net.core.somaxconn`.
 */
const LISTEN_BACKLOG = 4096

export interface ListenAddress {
  host: string
  port: number
}

/**
 * Listens on a process's second port (operations, admin). `localhost` is IPv4 loopback here: these
 * ports are reached by probes, scrapers and operators' tools, not by browsers. Returns the port (the
 * one the OS chose for port 0).
 */
export async function listenAside(server: FastifyInstance, { host, port }: ListenAddress): Promise<number> {
  await server.listen({ host: host === 'localhost' ? '127.0.0.1' : host, port, backlog: LISTEN_BACKLOG })
  const address = server.server.address()
  return typeof address === 'object' && address ? address.port : port
}

/**
 * After the drain, new requests are refused until none has come for `quietMs` (clients have gone
 * elsewhere), for at most `maxMs`; then the port stops accepting. Waiting for quiet rather than for a
 * fixed time holds on a machine so busy that clients take seconds to act on the refusals.
 */
const REFUSAL = { quietMs: 200, maxMs: 5000 }

/** While draining: each answer ends its connection, and when the last request or connection came is kept. */
function drainingListeners(servers: Array<HttpServer | undefined>) {
  let lastArrival = Date.now()
  const onConnection = () => {
    lastArrival = Date.now()
  }
  const onRequest: RequestListener = (_request, response) => {
    lastArrival = Date.now()
    response.setHeader('connection', 'close')
  }
  for (const server of servers) {
    server?.prependListener('connection', onConnection)
    server?.prependListener('request', onRequest)
  }
  return {
    /** Resolves once nothing has arrived for `quietMs`, or after `maxMs`. */
    async quiet({ quietMs, maxMs }: typeof REFUSAL) {
      const deadline = Date.now() + maxMs
      for (;;) {
        await setTimeout(quietMs / 4)
        // Connections the kernel holds for this process are accepted first (a stalled process has some).
        await setImmediate()
        if (Date.now() - lastArrival >= quietMs || Date.now() >= deadline) return
      }
    },
  }
}

/**
 * Listens on the public port, then on the operations port (`app.operations`), and on SIGTERM/SIGINT
 * reports not ready and goes on serving for `drainMs` (so a balancer that watches readiness stops
 * sending it work: a listener that closes resets the connections still waiting to be accepted), each
 * answer closing its connection (a kept-alive one reused as it closes would be reset); then refuses new
 * requests unprocessed until they stop coming (`REFUSAL`), so clients go elsewhere before the port
 * closes; then stops accepting, drains in-flight requests, closes pools, exits 0.
 */
export async function listen(
  app: FastifyInstance,
  {
    host,
    port,
    graceMs,
    drainMs = 0,
    operations,
  }: ListenAddress & { graceMs: number; drainMs?: number; operations: ListenAddress },
) {
  let ipv6: HttpServer | undefined
  // A stray rejected promise (a Redis client flushing its queue as a connection drops) is logged,
  // not fatal: contexts are built to keep serving through a Redis outage. Uncaught exceptions still
  // stop the process gracefully.
  process.on('unhandledRejection', (reason) => app.log.error({ err: reason }, 'unhandled promise rejection'))
  const grace = closeWithGrace(
    { delay: drainMs + REFUSAL.maxMs + graceMs, logger: app.log, skip: ['unhandledRejection'] },
    async ({ signal, err }) => {
      if (err) app.log.error({ err }, 'stopping after an uncaught error')
      else app.log.info({ signal }, 'shutting down')
      if (signal && drainMs > 0) {
        app.readiness.stop()
        // Every answer while draining ends its connection, so clients open their next one while this
        // process still accepts (or, refused, elsewhere) instead of reusing one it is about to close.
        const draining = drainingListeners([app.server, ipv6])
        await setTimeout(drainMs)
        // Then new requests are refused unprocessed while the port still accepts: a client told so sends
        // elsewhere, where one whose connection was waiting to be accepted as the port closed is reset.
        app.refuseNewRequests()
        await draining.quiet(REFUSAL)
      }
      const ipv6Closed = ipv6 ? new Promise((resolve) => ipv6?.close(resolve)) : undefined
      // The IPv6 side's connections, like the app's own (createSideServer), close as they go idle.
      const closeIdle = setInterval(() => ipv6?.closeIdleConnections(), 50)
      try {
        await app.close()
        await ipv6Closed
      } finally {
        clearInterval(closeIdle)
      }
    },
  )
  // Started by the launcher (with an IPC channel): stop when the launcher is gone, never linger.
  if (typeof process.send === 'function') {
    if (process.connected) process.once('disconnect', () => grace.close())
    else void grace.close()
  }
  primeSourceMaps()
  if (host !== 'localhost') {
    await app.listen({ host, port, backlog: LISTEN_BACKLOG })
  } else {
    await app.listen({ host: '127.0.0.1', port, backlog: LISTEN_BACKLOG })
    ipv6 = await listenOnIpv6Loopback(app, port)
    if (ipv6) app.log.info(`Server listening at http://[::1]:${port}`)
  }
  // Last: whoever waits for the operations port (the launcher, a probe) finds the public one open too.
  await listenAside(app.operations, operations)
}

/** Runs a process entry point; a configuration problem ends it with one readable line. */
export async function runMain(main: () => Promise<void>) {
  try {
    await main()
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
}
