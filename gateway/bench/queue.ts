import type { BenchSuite } from '@stagepass/launcher'
import { prepareQueueBench, queueBenchScenarios } from '@stagepass/queue/bench'
import { BENCH_TOKEN_ENV, QUEUE_BENCH_TOKEN_KEYS } from './tokens.js'

const ADMIN_KEY = 'stagepass-bench-admin-key'

/**
 * Token issue, status polling, and the guard's cost on a no-op route: raw baseline (bare Fastify +
 * ioredis running the same scripts), the queue service directly, split, monolith. The guard is
 * measured in a monolith gateway with two probe routes, one under a guarded prefix.
 */
export const queueBench: BenchSuite = {
  name: 'queue',
  env: { ...BENCH_TOKEN_ENV, QUEUE_ADMIN_KEY: ADMIN_KEY },
  extraServers: [
    { name: 'raw:queue', entry: 'services/queue/dist/bench/raw-queue-server-main.js' },
    { name: 'probe:monolith', entry: 'gateway/dist/bench/probe-server.js', env: () => ({ MODE: 'monolith' }) },
  ],
  setup: async (ctx) => {
    // Hold the line still while status reads are measured.
    const res = await fetch(`${ctx.urls['direct:queue']}/admin/queue`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'x-admin-key': ADMIN_KEY },
      body: JSON.stringify({ paused: true }),
    })
    if (res.status !== 200) throw new Error(`pausing admission answered ${res.status}`)
    tokens.push(
      ...(await prepareQueueBench({
        redisUrl: ctx.redisUrl,
        redisPrefix: ctx.redisPrefix,
        tokenKeys: QUEUE_BENCH_TOKEN_KEYS,
      })),
    )
  },
  scenarios: () =>
    queueBenchScenarios(tokens).map((scenario) =>
      scenario.name.includes('no-op')
        ? { ...scenario, targets: scenario.targets.filter((t) => t.startsWith('raw')).concat('probe:monolith') }
        : scenario,
    ),
}

const tokens: string[] = []
