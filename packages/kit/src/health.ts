import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

export type ReadinessCheck = () => Promise<unknown>

/** The dependencies a process needs to serve traffic. Each context adds its own. */
export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>()
  readonly #timeoutMs: number

  constructor(timeoutMs = 1000) {
    this.#timeoutMs = timeoutMs
  }

  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check)
  }

  async report(): Promise<{ ready: boolean; checks: Record<string, 'up' | 'down'> }> {
    const names = [...this.#checks.keys()]
    const results = await Promise.all(
      [...this.#checks.values()].map((check) =>
        withTimeout(check(), this.#timeoutMs).then(
          () => 'up' as const,
          () => 'down' as const,
        ),
      ),
    )
    const checks = Object.fromEntries(names.map((name, i) => [name, results[i] ?? 'down']))
    return { ready: results.every((r) => r === 'up'), checks }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

declare module 'fastify' {
  interface FastifyInstance {
    readiness: Readiness
  }
}

/** `/health/live` answers while the process runs; `/health/ready` only when its dependencies answer. */
export const healthPlugin = fp(
  async (fastify: FastifyInstance) => {
    fastify.decorate('readiness', new Readiness())
    fastify.get('/health/live', { logLevel: 'warn' }, async () => ({ data: { status: 'live' } }))
    fastify.get('/health/ready', { logLevel: 'warn' }, async (_request, reply) => {
      const { ready, checks } = await fastify.readiness.report()
      if (ready) return { data: { status: 'ready', checks } }
      const down = Object.keys(checks).filter((name) => checks[name] === 'down')
      return reply.code(503).send({
        statusCode: 503,
        code: 'NOT_READY',
        error: 'Service Unavailable',
        message: `not ready: ${down.join(', ')} unavailable`,
        checks,
      })
    })
  },
  { name: 'stagepass-health' },
)
