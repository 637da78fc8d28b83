import type { FastifyBaseLogger } from 'fastify'
import { type BalancedPool, type Dispatcher, request } from 'undici'

/** One instance of a context: where its public routes are proxied, and where its readiness is asked. */
export interface Instance {
  url: string
  opsUrl: string
  /** A small pool for the readiness probes. */
  probe: Dispatcher
}

/** Whether the instance answers its readiness probe with 200 (a draining one answers 503 at once). */
export async function isReady(instance: Pick<Instance, 'opsUrl' | 'probe'>): Promise<boolean> {
  try {
    const res = await request(`${instance.opsUrl}/health/ready`, {
      dispatcher: instance.probe,
      headersTimeout: 800,
      bodyTimeout: 800,
    })
    await res.body.dump()
    return res.statusCode === 200
  } catch {
    return false
  }
}

/**
 * Keeps the instances of a context that report not ready out of its balanced pool, and puts them back
 * once ready, asking every `everyMs`. A process told to stop reports not ready and goes on serving for
 * a while (`SHUTDOWN_DRAIN_MS`) before it stops accepting, so no request is sent to it as it closes.
 * While no instance is ready they all stay in: the proxy's own answers (503) then say what is wrong.
 * Returns a stop function.
 */
export function rotateByReadiness(
  pool: BalancedPool,
  instances: readonly Instance[],
  { everyMs, log }: { everyMs: number; log: FastifyBaseLogger },
): () => void {
  const origin = (url: string) => new URL(url).origin
  let running = false
  const round = async () => {
    const ready = await Promise.all(instances.map(isReady))
    const none = !ready.some(Boolean)
    const inPool = new Set(pool.upstreams)
    for (const [i, instance] of instances.entries()) {
      const wanted = none || ready[i]
      const present = inPool.has(origin(instance.url))
      if (wanted && !present) {
        pool.addUpstream(instance.url)
        log.info({ upstream: instance.url }, 'instance ready: back in rotation')
      } else if (!wanted && present) {
        pool.removeUpstream(instance.url)
        log.info({ upstream: instance.url }, 'instance not ready: out of rotation')
      }
    }
  }
  const timer = setInterval(() => {
    if (running) return
    running = true
    round()
      .catch((err) => log.warn({ err }, 'readiness rotation failed'))
      .finally(() => {
        running = false
      })
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
