import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { withTimeout } from './with-timeout.js'

export type ReadinessCheck = () => Promise<unknown>

export interface ReadinessReport {
  ready: boolean
  checks: Record<string, 'up' | 'down'>
}

export interface ReadinessOptions {
  /** How long one check may take before it counts as down. */
  timeoutMs?: number
  /** How long a result is reused: probes and scrapes can never run the checks more often than this. */
  cacheMs?: number
}

/**
 * The dependencies a process needs to serve traffic. Each context adds its own. Checks query MySQL,
 * Redis or upstreams, so a result is reused for `cacheMs` after it is known, and every request that
 * comes while a check runs waits for that one: a flood of probes runs the checks about once a second.
 */
export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>()
  readonly #timeoutMs: number
  readonly #cacheMs: number
  #running: Promise<ReadinessReport> | undefined
  #last: { report: ReadinessReport; at: number } | undefined
  #stopping = false

  constructor({ timeoutMs = 1000, cacheMs = 1000 }: ReadinessOptions = {}) {
    this.#timeoutMs = timeoutMs
    this.#cacheMs = cacheMs
  }

  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check)
    this.#last = undefined
  }

  /**
   * The process is shutting down: from now on it reports not ready, so load balancers and the split
   * gateway stop sending it work while it drains what it has.
   */
  stop(): void {
    this.#stopping = true
  }

  report(): Promise<ReadinessReport> {
    if (this.#stopping) return Promise.resolve({ ready: false, checks: { 'shutting-down': 'down' } })
    if (this.#running) return this.#running
    if (this.#last && performance.now() - this.#last.at < this.#cacheMs) return Promise.resolve(this.#last.report)
    const running = this.#check().then((report) => {
      this.#last = { report, at: performance.now() }
      return report
    })
    this.#running = running.finally(() => {
      this.#running = undefined
    })
    return this.#running
  }

  async #check(): Promise<ReadinessReport> {
    const names = [...this.#checks.keys()]
    const results = await Promise.all(
      [...this.#checks.values()].map((check) =>
        withTimeout(Promise.resolve().then(check), this.#timeoutMs).then(
          () => 'up' as const,
          () => 'down' as const,
        ),
      ),
    )
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i] ?? 'down']))
    return { ready: results.every((r) => r === 'up'), checks }
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness
  }
}

/**
 * The public side of health: `/health/live` answers while the process runs (no dependency is
 * queried), and `readiness` collects the checks each context adds. `/health/ready` itself is served
 * on the operations port only (operations.ts), from the same `readiness`.
 */
export const healthPlugin = fp<{ readiness: Readiness }>(
  async (fastify, { readiness }) => {
    fastify.decorate('readiness', readiness)
    livenessRoute(fastify)
  },
  { name: 'stagepass-health' },
)

export function livenessRoute(fastify: FastifyInstance) {
  fastify.get('/health/live', { logLevel: 'warn' }, async () => ({ data: { status: 'live' } }))
}

/** `/health/ready`: 200 when every check answers, else 503 naming what is down. */
export function readinessRoute(fastify: FastifyInstance, readiness: Readiness) {
  fastify.get('/health/ready', { logLevel: 'warn' }, async (_request, reply) => {
    const { ready, checks } = await readiness.report()
    if (ready) return { data: { status: 'ready', checks } }
    const down = Object.keys(checks).filter((name) => checks[name] === 'down')
    return reply.code(503).send({
      statusCode: 503,
      code: 'NOT_READY',
      error: 'Service Unavailable',
      message: 'shutting-down' in checks ? 'not ready: shutting down' : `not ready: ${down.join(', ')} unavailable`,
      checks,
    })
  })
}
