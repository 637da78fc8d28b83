import type { FastifyBaseLogger } from 'fastify'
import { type BalancedPool, type Dispatcher, Pool, request } from 'undici'

/** One instance of a context: where it is called, and where its readiness is asked. */
export interface UpstreamInstance {
  url: string
  opsUrl: string
  /** A small pool for the readiness probes. */
  probe: Dispatcher
}

/**
 * The instances called at `urls` whose readiness is asked at `opsUrls` (same order), each with a small
 * pool of its own for the probes (close them with `closeProbes`).
 */
export function upstreamInstances(urls: readonly string[], opsUrls: readonly string[]): UpstreamInstance[] {
  return opsUrls.map((opsUrl, i) => ({ url: urls[i] as string, opsUrl, probe: new Pool(opsUrl, { connections: 2 }) }))
}

export const closeProbes = (instances: readonly UpstreamInstance[]) =>
  Promise.all(instances.map((instance) => instance.probe.close()))

/** Whether the instance answers its readiness probe with 200 (a draining one answers 503 at once). */
export async function isReady(instance: Pick<UpstreamInstance, 'opsUrl' | 'probe'>): Promise<boolean> {
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
 * How often the readiness of each instance of a scaled context is asked: a stopping instance serves on
 * for `SHUTDOWN_DRAIN_MS` (the launcher sets 1 s), several rounds of this.
 */
export const READINESS_ROUND_MS = 250

/**
 * Keeps the instances of a context that report not ready out of its balanced pool, and puts them back
 * once ready, asking every `everyMs`. A process told to stop reports not ready and goes on serving for
 * a while (`SHUTDOWN_DRAIN_MS`) before it stops accepting, so no request is sent to it as it closes.
 * While no instance is ready they all stay in: the proxy's own answers (503) then say what is wrong.
 * Returns a stop function.
 */
export function rotateByReadiness(
  pool: BalancedPool,
  instances: readonly UpstreamInstance[],
  { everyMs = READINESS_ROUND_MS, log }: { everyMs?: number; log?: FastifyBaseLogger } = {},
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
        log?.info({ upstream: instance.url }, 'instance ready: back in rotation')
      } else if (!wanted && present) {
        pool.removeUpstream(instance.url)
        log?.info({ upstream: instance.url }, 'instance not ready: out of rotation')
      }
    }
  }
  const timer = setInterval(() => {
    if (running) return
    running = true
    round()
      .catch((err) => log?.warn({ err }, 'readiness rotation failed'))
      .finally(() => {
        running = false
      })
  }, everyMs)
  timer.unref()
  return () => clearInterval(timer)
}
