import type { BenchSuite } from '@stagepass/launcher'
import { GUARDED_NO_OP, prepareQueueBench, queueBenchScenarios } from '@stagepass/queue/bench'
import { BENCH_ADMIN_KEY, BENCH_TOKEN_ENV, pauseAdmission, QUEUE_BENCH_TOKEN_KEYS } from './tokens.js'

/**
 * Token issue, status polling, and the guard's cost on a no-op route: raw baseline (bare Fastify +
 * ioredis running the same scripts), the queue service directly, split, monolith, and the queue
 * service behind a bare hop (`raw:hop`, the most split mode's gateway could reach). The guard is
 * measured on two monolith gateways side by side, one with the guard and one without, taking the
 * very same request (token header included) in interleaved rounds.
 */
export const queueBench: BenchSuite = {
  name: 'queue',
  // Joins at ~20,000/s for three 5 s rounds on each target pass the default line of a million places,
  // and every later round would then measure 503 QUEUE_FULL: the bench's line is the largest allowed.
  env: { ...BENCH_TOKEN_ENV, QUEUE_ADMIN_KEY: BENCH_ADMIN_KEY, QUEUE_LINE_CAPACITY: '100000000' },
  extraServers: [
    { name: 'raw:queue', entry: 'services/queue/dist/bench/raw-queue-server-main.js' },
    // The floor of any Node gateway: a bare hop in front of the queue service (raw-hop-server.ts).
    {
      name: 'raw:hop',
      entry: 'gateway/dist/bench/raw-hop-server.js',
      env: (ctx) => ({ UPSTREAM: ctx.urls['direct:queue'] as string, UPSTREAM_AUDIENCE: 'queue' }),
    },
    { name: 'probe:monolith', entry: 'gateway/dist/bench/probe-server.js', env: () => ({ MODE: 'monolith' }) },
    {
      name: 'probe:monolith(no guard)',
      entry: 'gateway/dist/bench/probe-server.js',
      env: () => ({ MODE: 'monolith', PROBE_GUARD: 'off' }),
    },
  ],
  setup: async (ctx) => {
    await pauseAdmission(ctx)
    tokens.push(
      ...(await prepareQueueBench({
        redisUrl: ctx.redisUrl,
        redisPrefix: ctx.redisPrefix,
        tokenKeys: QUEUE_BENCH_TOKEN_KEYS,
      })),
    )
  },
  scenarios: () =>
    queueBenchScenarios(tokens).map((scenario) => {
      if (scenario.name === GUARDED_NO_OP) {
        return { ...scenario, targets: ['raw:queue', 'probe:monolith', 'probe:monolith(no guard)'] }
      }
      // Token issue and status polling reach the queue service through the bare hop too.
      return scenario.targets.includes('direct:queue')
        ? { ...scenario, targets: [...scenario.targets, 'raw:hop'] }
        : scenario
    }),
}

const tokens: string[] = []
