import type { FastifyBaseLogger } from 'fastify'
import { BalancedPool, type Dispatcher, Pool, request } from 'undici'

/** One instance of a context: where it is called, and where its readiness is asked. */
interface UpstreamInstance {
  url: string
  opsUrl: string
  /** A small pool for the readiness probes. */
  probe: Dispatcher
}

/** Whether the instance answers its readiness probe with 200 (a draining one answers 503 at once). */
async function isReady(instance: Pick<UpstreamInstance, 'opsUrl' | 'probe'>): Promise<boolean> {
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
const READINESS_ROUND_MS = 250

/**
 * Keeps the instances of a context that report not ready out of its balanced pool, and puts them back
 * once ready, asking every `everyMs`. A process told to stop reports not ready and goes on serving for
 * a while (`SHUTDOWN_DRAIN_MS`) before it stops accepting, so no request is sent to it as it closes.
 * While no instance is ready they all stay in: the proxy's own answers (503) then say what is wrong.
 * Returns a stop function.
 */
function rotateByReadiness(
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

/**
 * The instances of a context that `dispatcher` calls at `urls`, their readiness asked at `opsUrls`
 * (same order) through a small pool of probes each. With a balanced pool over as many instances as
 * there are operations URLs, those not ready are kept out of it (above). `close()` stops that and
 * closes the probes; the dispatcher is the caller's to close.
 */
export function watchInstances(
  dispatcher: Dispatcher,
  urls: readonly string[],
  opsUrls: readonly string[],
  { log }: { log?: FastifyBaseLogger } = {},
) {
  const instances: UpstreamInstance[] = opsUrls.map((opsUrl, i) => ({
    url: urls[i] as string,
    opsUrl,
    probe: new Pool(opsUrl, { connections: 2 }),
  }))
  const stopRotation =
    dispatcher instanceof BalancedPool && instances.length === urls.length
      ? rotateByReadiness(dispatcher, instances, { log })
      : () => {}
  return {
    /** Whether at least one instance answers its readiness probe with 200. */
    async anyReady(): Promise<boolean> {
      return (await Promise.all(instances.map(isReady))).some(Boolean)
    },
    async close(): Promise<void> {
      stopRotation()
      await Promise.all(instances.map((instance) => instance.probe.close()))
    },
  }
}
